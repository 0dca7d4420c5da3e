"""Pure math over model outputs: uncertainty (Eq. 12-15), calibration."""

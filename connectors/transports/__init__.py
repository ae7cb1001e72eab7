"""Network transports used by connection checks: FTP, SFTP, HTTP, and the guard before them."""

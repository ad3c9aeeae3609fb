"""A self-signed certificate for the TLS port, made on first start when none is configured."""

from __future__ import annotations

from pathlib import Path

from .core.private_files import private_file, private_folder

CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"


def ensure_self_signed(folder: Path) -> tuple[Path, Path]:
    """The certificate and key in `folder`, created (valid ten years) if missing."""
    cert_path, key_path = folder / CERT_FILE, folder / KEY_FILE
    private_folder(folder, [KEY_FILE])
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    # Here, not at the top: a restart with its certificate made never loads cryptography.
    from .self_signed import new_certificate

    cert_pem, key_pem = new_certificate()
    private_file(key_path)
    key_path.write_bytes(key_pem)
    cert_path.write_bytes(cert_pem)
    return cert_path, key_path

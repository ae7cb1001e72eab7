import pytest
from cryptography.fernet import Fernet

from tempostar import crypto


def test_round_trip_and_ciphertext_hides_value(settings):
    token = crypto.encrypt("licenseKey-SP123")
    assert "SP123" not in token
    assert crypto.decrypt(token) == "licenseKey-SP123"


def test_wrong_key_raises_instead_of_returning_ciphertext(settings):
    token = crypto.encrypt("secret")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token)


def test_old_key_still_decrypts_and_rotate_moves_to_first_key(settings):
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    token = crypto.encrypt("secret")
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    assert crypto.decrypt(token) == "secret"
    rotated = crypto.rotate(token)
    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert crypto.decrypt(rotated) == "secret"

"""What a leaked credential looks like: the forms a secret could be written in, the spellings of a
credential's name and value in a query, and the assertion that a text holds none of them."""

import base64

SECRET = "0f8fad5b-d9cb-469f-a165-70867728950e"


def every_char(text: str, hex_format: str = "%{:02X}") -> str:
    return "".join(hex_format.format(byte) for byte in text.encode())


def leaked_forms(secret: str) -> list[str]:
    """The forms a secret could be written in: raw, percent-encoded (every character, upper and
    lower hex, once and twice), base64 of it alone and as a Basic user or password, and a
    12-character fragment (a partial leak counts)."""
    forms = [secret, every_char(secret), every_char(secret, "%{:02x}"), every_char(secret, "%25{:02X}")]
    for text in (secret, f"{secret}:", f"user:{secret}", f":{secret}"):
        encoded = base64.b64encode(text.encode()).decode()
        forms += [encoded, encoded.rstrip("="), base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")]
    forms += [secret[-12:], secret[4:16]]
    return forms


def assert_no_leak(text: str, secret: str, where: str = "") -> None:
    lowered = text.lower()
    for form in leaked_forms(secret):
        assert form.lower() not in lowered, f"{form!r} in {where}:\n{text[:3000]}"


def name_spellings(name: str) -> list[str]:
    spellings = {name, name.upper(), name.title(), every_char(name), every_char(name, "%{:02x}")}
    spellings |= {every_char(name, "%25{:02X}")}  # double-encoded
    for index, char in enumerate(name):  # one character encoded, upper and lower hex
        spellings.add(name[:index] + f"%{ord(char):02X}" + name[index + 1 :])
        spellings.add(name[:index] + f"%{ord(char):02x}" + name[index + 1 :])
    return sorted(spellings)


def value_spellings(value: str) -> list[str]:
    return [value, every_char(value), every_char(value, "%{:02x}"), every_char(value, "%25{:02X}")]

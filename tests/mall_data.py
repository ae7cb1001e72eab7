"""Complete settings for every mall (each mall's DATA lives in tests/connectors/test_<code>.py),
and the helpers that turn them into form posts."""

from tests.connectors import all_data

PEM = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAuLidLyB4bBgXUTqTGzw2\n"
    "bYWl/uwvFwmmgSbxO/NG3mqhBhc6qXrH59ihbIOlpvzyrzHq6k5KI/qmQpekj2Hm\n"
    "ODO58lWBxY0KJlRDjNVYFgZsu8awJBn5g7O4/eJ/m05iZIvWew5hQ+zQSBUp+VvV\n"
    "hw7IqQltXaoLzBye5R15Bu3RIdcO5tBuhCxRi6GZSvA8dbJ71RgibYfQUHwlPPOh\n"
    "AoI7jwXhme4p/RWEhVjBxZ1LUMdNU8Mze2VE2i48AReiWIjiG1nnC8cynwYNRtOl\n"
    "Ry4a2Z+NF24YLo48QGA264PNA5jGBlPTpw7xiZdN89ViIWAmLwST3plKvXvXG9/s\n"
    "QQIDAQAB\n"
    "-----END PUBLIC KEY-----"
)

COMMON = {
    "name": "株式会社サバウェイ 本店",
    "short_name": "サバウェイ",
    "mobile_url": "",
    "manager_name": "山田 太郎",
    "genre": "food",
}

MALLS = all_data()


def post_data(values: dict, **overrides) -> dict:
    """Form POST data from "section.field" values (booleans as the radio's 1/0)."""
    data = dict(COMMON)
    for key, value in {**values, **overrides}.items():
        if isinstance(value, bool):
            value = "1" if value else "0"
        data[key.replace(".", "__")] = "" if value is None else value
    return data


def secret_values(connector, values: dict) -> dict:
    return {
        section.field_id(f): values[section.field_id(f)]
        for section, f in connector.fields()
        if f.secret and values.get(section.field_id(f))
    }

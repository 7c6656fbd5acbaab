"""A feature phone talking to our USSD endpoint the way Africa's Talking relays it."""

import itertools

CALLER = "+2348030000001"
MTN_NIGERIA = "62130"
SERVICE_CODE = "*384*123#"

_session_numbers = itertools.count(1)


class AfricasTalkingPhone:
    """Posts each hop as Africa's Talking does: every input so far joined by `*` in `text`."""

    def __init__(self, client, phone_number: str = CALLER, network_code: str = MTN_NIGERIA):
        self.client = client
        self.phone_number = phone_number
        self.network_code = network_code
        self.session_id = ""
        self.inputs: list[str] = []

    def dial(self, text: str = "") -> str:
        """Start a new session; a non-empty `text` is what a speed-dial string delivers."""
        self.session_id = f"ATUid_test_{next(_session_numbers)}"
        self.inputs = [text] if text else []
        return self.post(text)

    def send(self, value: str) -> str:
        """Answer the current screen with `value`."""
        self.inputs.append(value)
        return self.post("*".join(self.inputs))

    def post(self, text: str) -> str:
        response = self.client.post(
            "/ussd/africastalking",
            data={
                "sessionId": self.session_id,
                "serviceCode": SERVICE_CODE,
                "phoneNumber": self.phone_number,
                "networkCode": self.network_code,
                "text": text,
            },
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/plain"
        return response.get_data(as_text=True)

    def register(self, pin: str = "2580", language: str = "1") -> str:
        """Dial for the first time, choose a language and create a PIN; return the main menu."""
        self.dial()
        self.send(language)
        self.send(pin)
        return self.send(pin)

"""SMS encoding and segment count, as a handset and a gateway would compute them.

A message that uses only the GSM 03.38 alphabet is sent as GSM-7: 160 septets in one SMS,
153 per part when concatenated, and each extension character (such as `[` or the euro sign)
costs two septets and is never split across parts. One character outside the alphabet (the
naira sign, a curly quote, an emoji) makes the whole message UCS-2: 70 UTF-16 code units in one
SMS, 67 per part, an emoji takes two units and a surrogate pair is never split.
"""

from dataclasses import dataclass

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class Encoding:
    name: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def is_gsm7(text: str) -> bool:
    """Return whether every character of `text` is in the GSM-7 alphabet or its extension."""
    return all(character in GSM7_BASIC or character in GSM7_EXTENSION for character in text)


def measure(text: str) -> Encoding:
    """Return the encoding, size in units and segment count of an SMS body."""
    if is_gsm7(text):
        sizes = [2 if character in GSM7_EXTENSION else 1 for character in text]
        return Encoding("GSM-7", sum(sizes), _segments(sizes, GSM7_SINGLE, GSM7_PART))
    sizes = [2 if ord(character) > 0xFFFF else 1 for character in text]
    return Encoding("UCS-2", sum(sizes), _segments(sizes, UCS2_SINGLE, UCS2_PART))


def _segments(sizes: list[int], single: int, part: int) -> int:
    """Count parts, keeping every multi-unit character whole within one part."""
    if sum(sizes) <= single:
        return 1 if sizes else 0
    parts, used = 1, 0
    for size in sizes:
        if used + size > part:
            parts, used = parts + 1, 0
        used += size
    return parts

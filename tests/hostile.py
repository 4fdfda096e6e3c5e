"""Hostile files generated for the tests: PDFs that cost a reader unbounded time or memory."""

import random


def _pdf(objects):
    """A PDF from object bodies (object 1 is the catalog), with a correct cross-reference table."""
    out, offsets = [b"%PDF-1.4\n"], []
    for number, body in enumerate(objects, start=1):
        offsets.append(sum(len(part) for part in out))
        out.append(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = sum(len(part) for part in out)
    out.append(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    out += [f"{offset:010d} 00000 n \n".encode() for offset in offsets]
    out.append(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return b"".join(out)


def _stream(content, extra=b""):
    return b"<< /Length %d %s >>\nstream\n" % (len(content), extra) + content + b"\nendstream"


FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def scattered_text_pdf(count=2000, seed=1):
    """One page of `count` one-letter text objects at random places: layout analysis is quadratic."""
    rng = random.Random(seed)
    content = b"".join(
        b"BT /F1 6 Tf %d %d Td (%s) Tj ET\n"
        % (rng.randint(0, 600), rng.randint(0, 780), rng.choice(b"abcdefgh").to_bytes(1, "big"))
        for _ in range(count)
    )
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            _stream(content),
            FONT,
        ]
    )


def nested_xobjects_pdf(depth=9, fanout=10):
    """A page drawing a form that draws the next form `fanout` times, `depth` deep: fanout**depth
    text objects from a file of a few KB."""
    first = 5
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /XObject << /X0 %d 0 R >> /Font << /F1 %d 0 R >> >> >>" % (first, first + depth + 1),
        _stream(b"/X0 Do"),
    ]
    for level in range(depth + 1):
        if level < depth:
            content = b" ".join(b"q 1 0 0 1 %d 0 cm /X%d Do Q" % (step, level + 1) for step in range(fanout))
            resources = b"/XObject << /X%d %d 0 R >>" % (level + 1, first + level + 1)
        else:
            content, resources = b"BT /F1 6 Tf 10 10 Td (deep) Tj ET", b""
        objects.append(
            _stream(
                content,
                b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << %s "
                b"/Font << /F1 %d 0 R >> >>" % (resources, first + depth + 1),
            )
        )
    objects.append(FONT)
    return _pdf(objects)

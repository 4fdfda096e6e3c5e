"""BM25's two parts (k1 1.2, b 0.75): how rare a term is, and how much it weighs in one document."""

import math

K1, B = 1.2, 0.75


def idf(documents, holding):
    return math.log(1 + (documents - holding + 0.5) / (holding + 0.5))


def weight(frequencies, lengths, average_length):
    """A term's weight in documents where it occurs `frequencies` times in fields of `lengths` words."""
    return frequencies * (K1 + 1) / (frequencies + K1 * (1 - B + B * lengths / average_length))

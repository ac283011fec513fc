from shopqb_app.text import counted


def test_counts_read_as_words():
    assert counted(1, "order") == "1 order"
    assert counted(0, "order") == "0 orders"
    assert counted(12_000, "tax rate") == "12,000 tax rates"
    assert counted(2, "person", "people") == "2 people"

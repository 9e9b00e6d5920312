"""An audit payload as labelled fields (compliance.audit.payload)."""

from compliance.audit.payload import PayloadField, label_for, payload_fields, text_for


def test_labels_read_as_words():
    assert label_for("assessment_id") == "Assessment id"
    assert label_for("sha256") == "SHA-256"
    assert label_for("ip") == "IP address"
    assert label_for("api_key_id") == "API key id"


def test_values_read_as_text():
    assert text_for(None) == "—"
    assert text_for(True) == "yes" and text_for(False) == "no"
    assert text_for([]) == "none"
    assert text_for(["a", "b"]) == "a, b"
    assert text_for(list(range(15))) == "0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 3 more"
    assert text_for({"status": ["received", "verified"], "by": "dpo"}) == "By: dpo; Status: received, verified"


def test_fields_are_in_key_order():
    assert payload_fields({"b": 2, "a": 1}) == [PayloadField("a", "A", "1"), PayloadField("b", "B", "2")]
    assert payload_fields({}) == []

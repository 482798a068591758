"""The Children in Need census (XML): streaming, hardened reading, XSD and rule validation."""

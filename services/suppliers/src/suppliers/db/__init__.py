"""Tables of the suppliers service and one repository per aggregate."""

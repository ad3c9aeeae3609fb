"""What both sides of the wire share: error codes and exceptions, the 0xAAAA frame codec and the
wire types; imports nothing else of camrelay."""

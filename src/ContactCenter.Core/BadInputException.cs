namespace ContactCenter.Core;

/// <summary>
/// The request carries input the service cannot take (a value out of range, a field it cannot store). The host
/// answers 400 problem details with the message, so the message names the field and never echoes secrets.
/// </summary>
public class BadInputException(string message, Exception? inner = null) : Exception(message, inner);

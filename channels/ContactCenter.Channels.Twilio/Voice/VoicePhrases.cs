namespace ContactCenter.Channels.Twilio.Voice;

/// <summary>
/// What the service itself says on a call outside the flow (the wait loop, connecting, callbacks), in the flow's
/// languages the service knows (English, Spanish); any other language hears English.
/// </summary>
internal sealed record VoicePhrases(
    string Locale,
    Func<int, string> Position,
    Func<int, string> ExpectedMinutes,
    string PressOneForCallback,
    string CallbackConfirmed,
    string CallbackNeedsNumber,
    string Connecting,
    string AgentUnavailable,
    string CallbackGreeting,
    string Sorry)
{
    private static readonly VoicePhrases English = new(
        "en-US",
        p => p == 1 ? "You are next in line." : $"You are number {p} in line.",
        m => m <= 1 ? "Your expected wait is about one minute." : $"Your expected wait is about {m} minutes.",
        "To be called back instead of waiting, press 1.",
        "Thank you. You keep your place in line, and we'll call you back as soon as an agent is free. Goodbye.",
        "Sorry, we can't call back a hidden number. Please stay on the line.",
        "Connecting you to an agent.",
        "The agent could not take your call. Please stay on the line for the next agent.",
        "Hello, you asked us to call you back. Connecting you to an agent now.",
        "Sorry, we can't take your call right now. Please try again later. Goodbye.");

    private static readonly VoicePhrases Spanish = new(
        "es-US",
        p => p == 1 ? "Usted es el siguiente en la fila." : $"Usted es el número {p} en la fila.",
        m => m <= 1 ? "El tiempo de espera estimado es de un minuto." : $"El tiempo de espera estimado es de {m} minutos.",
        "Para que le devolvamos la llamada en lugar de esperar, oprima 1.",
        "Gracias. Conserva su lugar en la fila y le llamaremos en cuanto un agente esté libre. Adiós.",
        "Disculpe, no podemos devolver la llamada a un número oculto. Por favor, no cuelgue.",
        "Le comunicamos con un agente.",
        "El agente no pudo atender su llamada. Por favor, no cuelgue para el próximo agente.",
        "Hola, nos pidió que le devolviéramos la llamada. Le comunicamos con un agente.",
        "Disculpe, no podemos atender su llamada en este momento. Intente más tarde. Adiós.");

    public static VoicePhrases For(string? language) =>
        language is not null && language.StartsWith("es", StringComparison.OrdinalIgnoreCase) ? Spanish : English;

    public static int Minutes(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalMinutes));
}

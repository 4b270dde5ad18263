using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ContactCenter.Core.Telemetry;

/// <summary>
/// The service's own spans and counters (OpenTelemetry names "ContactCenter"). Static, as .NET recommends for an
/// ActivitySource and a Meter: instrumenting a code path is one line, and nothing is recorded unless a listener
/// (the OpenTelemetry SDK in the host) subscribes. Tags never carry addresses, names or message text.
/// </summary>
public static class ContactCenterTelemetry
{
    public const string Name = "ContactCenter";

    public static readonly ActivitySource Source = new(Name);
    public static readonly Meter Meter = new(Name);

    public static readonly Counter<long> InboundEvents = Meter.CreateCounter<long>(
        "contactcenter.inbound.events", "{event}", "Inbound events stored (provider retries not counted), by channel and event type");
    public static readonly Counter<long> WebhookRejections = Meter.CreateCounter<long>(
        "contactcenter.webhook.rejections", "{request}", "Webhook requests refused, by channel and reason (signature, secret, malformed, store-unavailable)");
    public static readonly Counter<long> OutboundSends = Meter.CreateCounter<long>(
        "contactcenter.outbound.sends", "{message}", "Messages the provider accepted, by channel");
    public static readonly Counter<long> OutboundRetries = Meter.CreateCounter<long>(
        "contactcenter.outbound.retries", "{attempt}", "Send attempts that failed temporarily and are retried, by channel and provider error code");
    public static readonly Counter<long> OutboundFailures = Meter.CreateCounter<long>(
        "contactcenter.outbound.failures", "{message}", "Messages that finally failed, by channel and provider error code");
    public static readonly Histogram<double> QueueWait = Meter.CreateHistogram<double>(
        "contactcenter.queue.wait", "s", "Time a conversation waited in its queue before it was assigned, by queue");
    public static readonly Counter<long> Assignments = Meter.CreateCounter<long>(
        "contactcenter.queue.assignments", "{assignment}", "Conversations assigned to an agent by routing, by queue");
    public static readonly Counter<long> ResponseTargetWarnings = Meter.CreateCounter<long>(
        "contactcenter.response_target.warnings", "{clock}", "Response clocks that reached the warning share of their target, by channel and kind");
    public static readonly Counter<long> ResponseTargetBreaches = Meter.CreateCounter<long>(
        "contactcenter.response_target.breaches", "{clock}", "Response clocks that passed their target, by channel and kind");
    public static readonly Counter<long> BotTurns = Meter.CreateCounter<long>(
        "contactcenter.bot.turns", "{turn}", "Customer messages the bot answered, by channel");
    public static readonly Counter<long> BotOutcomes = Meter.CreateCounter<long>(
        "contactcenter.bot.outcomes", "{conversation}", "Bot conversations that ended, by channel and outcome (contained: resolved by the bot; handed_off: to a person)");

    /// <summary>The current span as a W3C <c>traceparent</c>, stored with after-commit work and outbound messages so
    /// the work that runs later (another thread, another instance) continues the same trace.</summary>
    public static string? CurrentTraceParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

    /// <summary>Starts a span whose parent is a stored <c>traceparent</c> (none: a new trace).</summary>
    public static Activity? StartContinuing(string name, string? traceParent, ActivityKind kind = ActivityKind.Internal)
    {
        var parent = ActivityContext.TryParse(traceParent, null, isRemote: true, out var context) ? context : default;
        return Source.StartActivity(name, kind, parent);
    }

    /// <summary>The span of one after-commit work item (an event's reactions, a bot timeout …), continuing the
    /// trace of the request or work that wrote it. One line at the point where items are dispatched to handlers.</summary>
    public static Activity? StartAfterCommit(string kind, long itemId, long? eventId, int attempt, string? traceParent)
    {
        var activity = StartContinuing("after-commit " + kind, traceParent, ActivityKind.Consumer);
        activity?.SetTag("contactcenter.work.id", itemId);
        activity?.SetTag("contactcenter.attempt", attempt);
        if (eventId is { } id) activity?.SetTag("contactcenter.event.id", id);
        return activity;
    }

    /// <summary>Marks the span failed with the exception's type only: messages may quote what a provider or the
    /// database echoed back, which is not for an exporter.</summary>
    public static void Fail(this Activity? activity, Exception e)
    {
        activity?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
        activity?.SetTag("exception.type", e.GetType().FullName);
    }

    public static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);
}

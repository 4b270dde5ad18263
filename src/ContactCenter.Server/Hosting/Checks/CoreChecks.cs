using ContactCenter.Core.Bot;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Flows;
using ContactCenter.Core.Outbound;
using ContactCenter.Core.Work;
using ContactCenter.Core.ResponseTargets;
using ContactCenter.Core.Routing;
using Microsoft.Extensions.Options;
using PhoneNumbers;

namespace ContactCenter.Server.Hosting.Checks;

// Plain ranges: source-generated from the [Range] attributes on the options. Their messages start with the
// property's name ("MaxAttempts: The field OutboxOptions.MaxAttempts must be …"); SectionChecks puts the section
// in front, so they name the key like every other check.
[OptionsValidator]
internal sealed partial class WorkRanges : IValidateOptions<WorkOptions>;

[OptionsValidator]
internal sealed partial class OutboxRanges : IValidateOptions<OutboxOptions>;

[OptionsValidator]
internal sealed partial class JobsRanges : IValidateOptions<JobsOptions>;

internal abstract class SectionChecks<TOptions>(string section, IValidateOptions<TOptions> ranges) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var result = ranges.Validate(name, options);
        return result.Failed ? ValidateOptionsResult.Fail(result.Failures.Select(f => $"{section}:{f}")) : result;
    }
}

internal sealed class WorkChecks() : SectionChecks<WorkOptions>("Work", new WorkRanges());

internal sealed class OutboxChecks() : SectionChecks<OutboxOptions>("Outbox", new OutboxRanges());

internal sealed class JobsChecks() : SectionChecks<JobsOptions>("Jobs", new JobsRanges());

/// <summary><c>Sla:*</c>: channel names, positive targets and intervals, a warning share below the target.</summary>
internal sealed class SlaChecks : IValidateOptions<SlaOptions>
{
    public ValidateOptionsResult Validate(string? name, SlaOptions o)
    {
        var errors = new KeyErrors()
            .ChannelNames("Sla:Targets", o.Targets.Keys)
            .Positive("Sla:PollInterval", o.PollInterval)
            .Positive("Sla:BatchSize", o.BatchSize)
            .Positive("Sla:Parallelism", o.Parallelism)
            .Positive("Sla:LeaseTimeout", o.LeaseTimeout)
            .Positive("Sla:HangfireSweepAfter", o.HangfireSweepAfter);
        if (o.WarningAt is <= 0 or >= 1) errors.Add("Sla:WarningAt", $"must be a share between 0 and 1, e.g. 0.8 (is {o.WarningAt}).");
        foreach (var (channel, set) in o.Targets)
        {
            errors.Positive($"Sla:Targets:{channel}:FirstResponse", set.FirstResponse)
                .Positive($"Sla:Targets:{channel}:NextResponse", set.NextResponse)
                .Positive($"Sla:Targets:{channel}:Resolution", set.Resolution);
        }

        return errors.Result;
    }
}

/// <summary><c>Routing:*</c> apart from queue and agent definitions (checked when they are seeded).</summary>
internal sealed class RoutingChecks : IValidateOptions<RoutingOptions>
{
    public ValidateOptionsResult Validate(string? name, RoutingOptions o)
    {
        var errors = new KeyErrors()
            .ChannelNames("Routing:Channels", o.Channels.Keys)
            .Positive("Routing:SweepInterval", o.SweepInterval)
            .NotNegative("Routing:BreachPriorityBoost", o.BreachPriorityBoost);
        if (!RoutingValidation.IsName(o.DefaultQueue)) errors.Add("Routing:DefaultQueue", $"'{o.DefaultQueue}' is not a queue name.");
        foreach (var (channel, routing) in o.Channels)
        {
            if (routing.Queue is { } queue && !RoutingValidation.IsName(queue))
                errors.Add($"Routing:Channels:{channel}:Queue", $"'{queue}' is not a queue name.");
        }

        foreach (var (bucket, capacity) in o.DefaultCapacity)
        {
            if (!CapacityBuckets.All.Contains(bucket)) errors.Add($"Routing:DefaultCapacity:{bucket}", "is not a capacity bucket (voice, messaging).");
            errors.NotNegative($"Routing:DefaultCapacity:{bucket}", capacity);
        }

        return errors.Result;
    }
}

internal sealed class BotChecks : IValidateOptions<BotOptions>
{
    public ValidateOptionsResult Validate(string? name, BotOptions o)
    {
        var errors = new KeyErrors()
            .Positive("Bot:MaxMisunderstandings", o.MaxMisunderstandings)
            .NotNegative("Bot:SentimentPriorityBoost", o.SentimentPriorityBoost)
            .Positive("Bot:DefaultQueueTimeout", o.DefaultQueueTimeout)
            .Positive("Bot:DefaultWaitPerPosition", o.DefaultWaitPerPosition)
            .Between("Bot:KnowledgeBase:MinRank", o.KnowledgeBase.MinRank, 0, 1)
            .Between("Bot:KnowledgeBase:MinCoverage", o.KnowledgeBase.MinCoverage, 0, 1)
            .Positive("Bot:KnowledgeBase:MaxAnswerLength", o.KnowledgeBase.MaxAnswerLength);
        foreach (var (queue, timeout) in o.QueueTimeouts) errors.Positive($"Bot:QueueTimeouts:{queue}", timeout);
        return errors.Result;
    }
}

internal sealed class AddressChecks : IValidateOptions<AddressOptions>
{
    public ValidateOptionsResult Validate(string? name, AddressOptions o) =>
        PhoneNumberUtil.GetInstance().GetSupportedRegions().Contains(o.DefaultRegion ?? "")
            ? ValidateOptionsResult.Success
            : new KeyErrors().Add("Addresses:DefaultRegion", $"'{o.DefaultRegion}' is not an ISO 3166 region code (e.g. US, GB, ES).").Result;
}

/// <summary><c>Flows:Endpoints</c> (the flows themselves and <c>Flows:Bots</c> are checked when they are loaded).</summary>
internal sealed class FlowChecks : IValidateOptions<FlowOptions>
{
    public ValidateOptionsResult Validate(string? name, FlowOptions o)
    {
        var errors = new KeyErrors().ChannelNames("Flows:Bots", o.Bots.Keys, messagingOnly: true);
        foreach (var (endpoint, settings) in o.Endpoints) errors.Url($"Flows:Endpoints:{endpoint}:BaseUrl", settings.BaseUrl, required: true);
        return errors.Result;
    }
}

internal sealed class PrometheusChecks : IValidateOptions<PrometheusOptions>
{
    public ValidateOptionsResult Validate(string? name, PrometheusOptions o) =>
        o.Enabled && (o.Key?.Trim().Length ?? 0) < 16
            ? new KeyErrors().Add("Metrics:Prometheus:Key", "must be set to at least 16 characters while Metrics:Prometheus:Enabled is on: /metrics is served only to that key.").Result
            : ValidateOptionsResult.Success;
}

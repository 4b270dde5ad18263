using ContactCenter.Core.Channels;
using ContactCenter.Core.Flows;
using ContactCenter.Core.Work;
using ContactCenter.Core.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ContactCenter.Core.Bot;

/// <summary>Configuration under <c>Bot</c>. Which channels have a bot is <c>Flows:Bots:&lt;channel&gt;</c>.</summary>
public sealed class BotOptions
{
    /// <summary>The node a customer's request for a person (or clear anger, or repeated confusion) jumps to.</summary>
    public string PersonNode { get; set; } = "to-agent";
    /// <summary>Where the bot resumes when an agent hands back without naming a node.</summary>
    public string ResumeNode { get; set; } = "anything-else";
    /// <summary>Where the bot resumes when nobody took a waiting conversation in time (callback or message).</summary>
    public string TimeoutNode { get; set; } = "no-agent";
    /// <summary>The question the bot asks after a person resolved: its answer is recorded as <c>csat.response</c>
    /// (<c>scale</c> 5, or 10 when this is the <see cref="NpsNode"/>).</summary>
    public string SurveyNode { get; set; } = "survey";
    /// <summary>The 0–10 "would you recommend us" question: its answer is <c>csat.response</c> with <c>scale</c> 10.
    /// Asked alone when it is the <see cref="SurveyNode"/>, or after the 1–5 question when that one leads to it.</summary>
    public string NpsNode { get; set; } = "nps";
    /// <summary>Misunderstood answers in one conversation before the bot hands off.</summary>
    public int MaxMisunderstandings { get; set; } = 3;
    /// <summary>A message scoring at or below this (negative words minus positive ones) is clearly unhappy.</summary>
    public int NegativeSentiment { get; set; } = -2;
    /// <summary>Added to the handoff's priority when the customer is clearly unhappy.</summary>
    public int SentimentPriorityBoost { get; set; } = 5;
    /// <summary>How long a handed-off conversation may wait unassigned before the bot takes it back, per queue.</summary>
    public Dictionary<string, TimeSpan> QueueTimeouts { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    public TimeSpan DefaultQueueTimeout { get; set; } = TimeSpan.FromMinutes(15);
    /// <summary>The wait per place in line told to a waiting customer when the queue has no history yet.</summary>
    public TimeSpan DefaultWaitPerPosition { get; set; } = TimeSpan.FromMinutes(2);
    /// <summary>After a person resolved the conversation, send the satisfaction question.</summary>
    public bool SurveyAfterResolution { get; set; } = true;
    public KnowledgeBaseOptions KnowledgeBase { get; set; } = new();

    public TimeSpan TimeoutFor(string queue) => QueueTimeouts.GetValueOrDefault(queue, DefaultQueueTimeout);
}

public sealed class KnowledgeBaseOptions
{
    /// <summary>Seed folder (relative to the content root) of markdown articles loaded at start; empty: none.</summary>
    public string SeedPath { get; set; } = "kb";
    /// <summary>Minimum normalized rank (0–1) of an answer the bot gives.</summary>
    public double MinRank { get; set; } = 0.5;
    /// <summary>Minimum share of the question's words the article must contain.</summary>
    public double MinCoverage { get; set; } = 0.5;
    /// <summary>Longer articles are cut at a sentence for chat (SMS carries 1600 characters).</summary>
    public int MaxAnswerLength { get; set; } = 900;
}

public static class BotServiceCollectionExtensions
{
    /// <summary>The messaging bot, the knowledge base and handoffs (<c>Bot:*</c>); needs flows and routing.</summary>
    public static IServiceCollection AddContactCenterBot(this IServiceCollection services, IConfiguration configuration, string contentRoot)
    {
        services.Configure<BotOptions>(configuration.GetSection("Bot"));
        services.AddSingleton<KnowledgeBase>();
        services.AddSingleton<IFlowActionResolver, KnowledgeResolver>();
        services.AddSingleton<HandoffContextBuilder>();
        services.AddSingleton<Handoffs>();
        services.AddSingleton<BotConversations>();
        services.AddSingleton<BotReplies>();
        services.AddSingleton<BotStep>();
        services.AddSingleton<BotAnswer>();
        services.AddSingleton<BotSurvey>();
        services.AddSingleton<BotTurn>();
        services.AddSingleton<BotResume>();
        services.AddSingleton<BotHandBack>();
        services.AddSingleton<BotHandToAgent>();
        services.AddSingleton<BotTimeout>();
        services.AddSingleton<Work.IWorkHandler>(sp => sp.GetRequiredService<BotTimeout>());
        services.AddSingleton<ChatBot>();
        services.AddSingleton<BotMetrics>();
        services.AddTimelineReaction<BotReaction>(BotReaction.Types);
        services.AddSingleton(sp => new KnowledgeSeeder(
            sp.GetRequiredService<KnowledgeBase>(), sp.GetRequiredService<IOptions<BotOptions>>(), sp.GetRequiredService<ILogger<KnowledgeSeeder>>(), contentRoot));
        services.AddHostedService(sp => sp.GetRequiredService<KnowledgeSeeder>());
        return services;
    }
}

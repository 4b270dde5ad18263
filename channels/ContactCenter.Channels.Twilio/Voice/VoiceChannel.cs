using ContactCenter.Core.Work;
using ContactCenter.Core.Voice;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ContactCenter.Channels.Twilio.Voice;

public static class VoiceChannel
{
    /// <summary>Calls and the IVR: the call ledger, the flow's voice side, agents, callbacks (<c>Twilio:Voice</c>).</summary>
    public static IServiceCollection AddTwilioVoice(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<VoiceOptions>().Bind(configuration.GetSection(VoiceOptions.Section));
        services.AddSingleton<CallLedger>();
        services.AddSingleton<CallbackRequests>();
        services.AddSingleton<CallQueue>();
        services.AddSingleton<CallContext>();
        services.AddSingleton<VoiceUrls>();
        services.AddSingleton<VoiceTwiml>();
        services.AddSingleton<VoiceCallFlow>();
        services.AddSingleton<VoiceAgents>();
        services.AddSingleton<VoicemailBox>();
        services.AddSingleton<CallbackDialer>();
        services.AddSingleton<AgentCallAccess>();
        services.AddSingleton<AgentVoiceTokens>();
        services.AddSingleton<CallRecordings>();
        services.AddSingleton<CallWrapUps>();
        services.AddTimelineReaction<VoiceAssignmentReaction>(VoiceAssignmentReaction.Types);
        services.AddTimelineReaction<CallWrapUpReaction>(CallWrapUpReaction.Types);
        return services;
    }
}

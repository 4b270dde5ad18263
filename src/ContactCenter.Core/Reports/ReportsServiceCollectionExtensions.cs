using ContactCenter.Core.Forecast;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ContactCenter.Core.Reports;

public static class ReportsServiceCollectionExtensions
{
    /// <summary>Supervisors' reports (<c>Reports:*</c>) and the live Erlang C forecast (<c>Forecast:*</c>).</summary>
    public static IServiceCollection AddContactCenterReports(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<ReportOptions>(configuration.GetSection("Reports"));
        services.Configure<ForecastOptions>(configuration.GetSection("Forecast"));
        services.AddSingleton<ConversationReports>();
        services.AddSingleton<ExperienceReports>();
        services.AddSingleton<QueueForecaster>();
        return services;
    }

    /// <summary>Runs the named report (<see cref="ReportNames"/>).</summary>
    public static Task<ReportTable> RunAsync(this ReportQuery query, ConversationReports conversations, ExperienceReports experience, CancellationToken ct) =>
        query.Report switch
        {
            ReportNames.Volume => conversations.VolumeAsync(query, ct),
            ReportNames.ResponseTimes => conversations.ResponseTimesAsync(query, ct),
            ReportNames.HandleTimes => conversations.HandleTimesAsync(query, ct),
            ReportNames.Resolution => conversations.ResolutionAsync(query, ct),
            ReportNames.Satisfaction => experience.SatisfactionAsync(query, ct),
            ReportNames.Bot => experience.BotAsync(query, ct),
            ReportNames.Abandonment => experience.AbandonmentAsync(query, ct),
            _ => throw new ArgumentOutOfRangeException(nameof(query), query.Report, "Unknown report."),
        };
}

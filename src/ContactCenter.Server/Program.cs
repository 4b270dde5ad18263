using ContactCenter.Channels.Meta;
using ContactCenter.Channels.Telegram;
using ContactCenter.Channels.Twilio;
using ContactCenter.Server.Api;
using ContactCenter.Server.Commands;
using ContactCenter.Server.Hosting;
using ContactCenter.Server.Pages;

if (CommandLine.IsCommand(args)) return await CommandLine.RunAsync(args);

var builder = WebApplication.CreateBuilder(args);
await builder.AddContactCenterAsync();

var app = builder.Build();
await app.UseContactCenterAsync();

app.MapLoginPages();
app.MapSessionApi();
app.MapJobsDashboard();
app.MapCustomersApi();
app.MapConversationsApi();
app.MapTelegramWebhooks();
app.MapMetaWebhooks();
app.MapTwilioWebhooks();
app.MapRoutingApi();
app.MapAgentVoiceApi();
app.MapAgentsApi();
app.MapQueuesApi();
app.MapBotApi();
app.MapSupervisorPage();
app.MapConsoleApi();
app.MapSoftphonePage();
app.MapWorkApi();
app.MapEmailApi();
app.MapWebhooksApi();
app.MapNotificationsApi();
app.MapWebhooksPage();
app.MapReportsApi();
app.MapReportsPage();
app.MapDeskApi();
app.MapCannedRepliesApi();
app.MapTagsApi();
app.MapDeskPage();
app.MapUsersApi();
app.MapAuditApi();
app.MapUsersPage();
app.MapWebchatApi();

app.Run();
return 0;

/// <summary>The entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;

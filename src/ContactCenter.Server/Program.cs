using ContactCenter.Server.Api;
using ContactCenter.Server.Hosting;
using ContactCenter.Server.Pages;

var builder = WebApplication.CreateBuilder(args);
await builder.AddContactCenterAsync();

var app = builder.Build();
await app.UseContactCenterAsync();

app.MapLoginPages();
app.MapJobsDashboard();
app.MapCustomersApi();
app.MapConversationsApi();

app.Run();

/// <summary>The entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;

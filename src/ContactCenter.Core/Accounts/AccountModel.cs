using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ContactCenter.Core.Accounts;

/// <summary>A person who signs in. The password hash never leaves the store.</summary>
public sealed record User(
    Guid Id, string Email, string Name, string Role, string? AgentId, IReadOnlyList<string> Queues,
    bool Disabled, bool HasPassword, DateTimeOffset? LockedUntil, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed record UserInput(string Email, string Name, string Role, string? AgentId, IReadOnlyList<string> Queues, bool Disabled);

/// <summary>One <c>Auth:Users</c> entry: the operator's first admin, or Development's known people.</summary>
public sealed class SeedUser
{
    public string Email { get; set; } = "";
    public string Name { get; set; } = "";
    public string Role { get; set; } = "";
    public string? AgentId { get; set; }
    public List<string> Queues { get; set; } = [];
    public string Password { get; set; } = "";
}

/// <summary>The <c>Auth</c> keys the accounts read (API keys in configuration are the host's).</summary>
public sealed class AccountOptions
{
    public List<SeedUser> Users { get; set; } = [];
    public int MaxFailedSignIns { get; set; } = 5;
    public TimeSpan LockoutFor { get; set; } = TimeSpan.FromMinutes(15);
    public TimeSpan PasswordLinkLifetime { get; set; } = TimeSpan.FromHours(24);
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(12);
    public int MinPasswordLength { get; set; } = 10;
}

/// <summary>Who did something, as the audit trail records it: a person (user id) or a key (key id or name).</summary>
public sealed record AuditActor(string Kind, string Id, string Name, string? Ip)
{
    public const string UserKind = "user";
    public const string KeyKind = "key";
    public const string SystemKind = "system";

    public static AuditActor System { get; } = new(SystemKind, "system", "system", null);
}

public static class AccountsServiceCollectionExtensions
{
    public static IServiceCollection AddContactCenterAccounts(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<AccountOptions>(configuration.GetSection("Auth"));
        services.AddSingleton<UserStore>();
        services.AddSingleton<SessionStore>();
        services.AddSingleton<ApiKeyRegistry>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<AccountSeeder>();
        services.AddHostedService(sp => sp.GetRequiredService<AccountSeeder>());
        return services;
    }
}

/// <summary>Creates the <c>Auth:Users</c> people that do not exist yet (by email); existing ones are left as they are.</summary>
public sealed class AccountSeeder(UserStore users, Microsoft.Extensions.Options.IOptions<AccountOptions> options) : IHostedService
{
    public async Task SeedAsync(CancellationToken ct)
    {
        foreach (var seed in options.Value.Users)
        {
            await users.EnsureAsync(new UserInput(seed.Email.Trim(), seed.Name.Trim(), seed.Role.Trim().ToLowerInvariant(),
                string.IsNullOrWhiteSpace(seed.AgentId) ? null : seed.AgentId.Trim(), seed.Queues, Disabled: false), seed.Password, ct);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => SeedAsync(cancellationToken);
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

using ContactCenter.Core.Channels;
using ContactCenter.Core.Flows;
using ContactCenter.Core.Outbound;
using ContactCenter.Core.Work;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ContactCenter.Channels.Email;

public static class EmailChannel
{
    /// <summary>
    /// Support mailboxes (<c>Email:*</c>): a watcher per mailbox with an IMAP host, the SMTP sender, per-mailbox
    /// queues. Without mailboxes nothing runs and the outbox refuses email.
    /// </summary>
    public static IServiceCollection AddEmailChannel(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<EmailOptions>(configuration.GetSection(EmailOptions.Section));
        services.AddSingleton<EmailStore>();
        services.AddSingleton<SetAsideStore>();
        services.AddSingleton<MailImporter>();
        services.AddSingleton<MailboxWatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<MailboxWatcher>());
        services.AddSingleton<EmailSender>();
        services.AddSingleton<IChannelSender>(sp => sp.GetRequiredService<EmailSender>());
        services.AddTimelineReaction<MailboxRouting>(MailboxRouting.Types);
        return services;
    }

    /// <summary>Each mailbox's own bot (<c>Email:Mailboxes:&lt;name&gt;:Bot</c>), for the flow catalog to load and check.</summary>
    public static IEnumerable<AddressBot> AddressBots(IConfiguration configuration)
    {
        var options = configuration.GetSection(EmailOptions.Section).Get<EmailOptions>() ?? new EmailOptions();
        foreach (var (name, mailbox) in options.Mailboxes)
            if (!string.IsNullOrWhiteSpace(mailbox.Bot) && !string.IsNullOrWhiteSpace(mailbox.Address))
                yield return new AddressBot(Channel.Email, mailbox.Address, mailbox.Bot, $"Email:Mailboxes:{name}:Bot");
    }
}

using System.Text.Json.Nodes;
using Npgsql;

namespace ContactCenter.Tests.Channels;

public static class Outbound
{
    /// <summary>Waits until the outbound message reaches <paramref name="status"/>; explains itself when it never does.</summary>
    public static async Task<JsonNode> WaitForStatusAsync(this ContactCenterApp app, NpgsqlDataSource db, string conversation, string messageId, string status)
    {
        JsonNode? message = null;
        try
        {
            await TestSupport.EventuallyAsync(async () =>
            {
                message = await app.Agent().GetJsonAsync($"/api/conversations/{conversation}/messages/{messageId}");
                return message["status"]!.GetValue<string>() == status;
            }, $"message {messageId} is {status}");
        }
        catch (Xunit.Sdk.XunitException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\nmessage: {message?.ToJsonString()}\n{await JobDiagnostics.DescribeAsync(db)}");
        }

        return message!;
    }

    public static async Task<string> OpenConversationIdAsync(this ContactCenterApp app, string channel, string address)
    {
        var customer = await app.Agent().GetJsonAsync($"/api/customers?channel={channel}&address={address}");
        return customer["openConversations"]!.AsArray().Single(c => c!["channel"]!.GetValue<string>() == channel)!["id"]!.GetValue<string>();
    }
}

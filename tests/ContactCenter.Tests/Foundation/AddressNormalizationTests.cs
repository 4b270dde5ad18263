using System.Net;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Customers;
using Microsoft.Extensions.Options;

namespace ContactCenter.Tests.Foundation;

public class AddressNormalizationTests
{
    private static AddressNormalizer Normalizer(string region = "US") =>
        new(Options.Create(new AddressOptions { DefaultRegion = region }));

    [Theory]
    [InlineData(Channel.Sms, "+1 (415) 555-0100", "US", "+14155550100")]
    [InlineData(Channel.WhatsApp, "whatsapp:+14155550100", "US", "+14155550100")]
    [InlineData(Channel.WhatsApp, "WhatsApp:+1 415 555 0100", "US", "+14155550100")]
    [InlineData(Channel.Voice, "00 44 20 7946 0958", "US", "+442079460958")]
    [InlineData(Channel.Sms, "(415) 555-0100", "US", "+14155550100")]
    [InlineData(Channel.Sms, "415.555.0100", "US", "+14155550100")]
    [InlineData(Channel.Voice, "020 7946 0958", "GB", "+442079460958")]
    [InlineData(Channel.Sms, "030 1234567", "DE", "+49301234567")]
    [InlineData(Channel.Sms, "  +49 30 1234567 ", "US", "+49301234567")]
    [InlineData(Channel.Telegram, "123456789", "US", "123456789")]
    [InlineData(Channel.Telegram, " 987654321 ", "US", "987654321")]
    [InlineData(Channel.Messenger, "24680135792468", "US", "24680135792468")]
    [InlineData(Channel.Instagram, "17841400000000000", "US", "17841400000000000")]
    public void Normalizes(Channel channel, string raw, string region, string expected) =>
        Assert.Equal(expected, Normalizer(region).Normalize(channel, raw));

    [Theory]
    [InlineData(Channel.Sms, "abc")]
    [InlineData(Channel.Sms, "12")]
    [InlineData(Channel.Sms, "+1 555")]
    [InlineData(Channel.Voice, "")]
    [InlineData(Channel.WhatsApp, "whatsapp:")]
    [InlineData(Channel.Sms, "+99 123 456 7890")]
    [InlineData(Channel.Telegram, "@someone")]
    [InlineData(Channel.Messenger, "12ab")]
    public void RefusesWhatIsNotAnAddress(Channel channel, string raw) =>
        Assert.Throws<InvalidAddressException>(() => Normalizer().Normalize(channel, raw));

    [Fact]
    public void SameNumberInEveryFormatIsOneAddress()
    {
        var normalizer = Normalizer();
        var forms = new[] { "+14155550100", "whatsapp:+14155550100", "(415) 555-0100", "001 415 555 0100", "+1-415-555-0100" };
        Assert.Single(forms.Select(f => normalizer.Normalize(Channel.Sms, f)).Distinct());
    }

    [Fact]
    public void RedactionKeepsNoFullNumber()
    {
        var redacted = Redact.Address("+14155550100");
        Assert.DoesNotContain("4155550100", redacted);
        Assert.EndsWith("00", redacted);
    }
}

public class AddressLookupApiTests(AppFixture fx) : IClassFixture<AppFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("sms", "abc")]
    [InlineData("sms", "12")]
    [InlineData("telegram", "not-a-number")]
    [InlineData("fax", "+14155550100")]
    [InlineData("sms", "")]
    public async Task InvalidAddressOrChannelIs400WithProblemDetails(string channel, string address)
    {
        var response = await fx.App.Agent().GetAsync($"/api/customers?channel={channel}&address={Uri.EscapeDataString(address)}");
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.False(string.IsNullOrEmpty(problem["detail"]?.GetValue<string>()));
    }

    [Fact]
    public async Task UnknownValidAddressIs404()
    {
        var response = await fx.App.Agent().GetAsync("/api/customers?channel=sms&address=%2B14155550199");
        await response.ProblemAsync(HttpStatusCode.NotFound);
    }
}

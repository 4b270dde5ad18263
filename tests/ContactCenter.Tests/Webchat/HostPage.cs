using System.Net;
using System.Text;

namespace ContactCenter.Tests.Webchat;

/// <summary>
/// A customer's website on its own loopback port (another origin than the service): one page that embeds the
/// widget with the one script tag, as a website would.
/// </summary>
public sealed class HostPage : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _serving;

    public HostPage(int port, Uri service, string widget, string extraAttributes = "")
    {
        Url = $"http://127.0.0.1:{port}/";
        // The host page's own styles must not reach the widget (shadow DOM): a loud rule for every button.
        Html = $$"""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Northwind shop</title>
            <style>button { background: rgb(255, 0, 0) !important; font-size: 40px; }</style></head>
            <body><h1>Northwind shop</h1><button id="buy">Buy</button>
            <script src="{{service}}webchat/widget.js" data-widget="{{widget}}" data-language="en" data-colour="#0a7d5a" data-position="right" {{extraAttributes}} async></script>
            </body></html>
            """;
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _serving = ServeAsync();
    }

    public string Url { get; }
    public string Html { get; }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            var bytes = Encoding.UTF8.GetBytes(Html);
            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _serving.Wait(TimeSpan.FromSeconds(5));
    }
}

using System.Net;
using System.Net.Sockets;
using Microsoft.Playwright;

namespace ContactCenter.Tests.Infrastructure;

/// <summary>
/// One headless Chromium for the whole test run (Debian's <c>/usr/bin/chromium</c>, or
/// <c>CONTACTCENTER_CHROMIUM</c>), driven by Playwright. Each test opens its own context (own cookies).
/// </summary>
public static class Browser
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static IPlaywright? _playwright;
    private static IBrowser? _browser;

    /// <summary>Where tests keep screenshots: <c>tests/ContactCenter.Tests/bin/…/screenshots</c>, or <c>CONTACTCENTER_SCREENSHOTS</c>.</summary>
    public static string ScreenshotDirectory { get; } = Directory.CreateDirectory(
        Environment.GetEnvironmentVariable("CONTACTCENTER_SCREENSHOTS") is { Length: > 0 } dir ? dir : Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;

    public static async Task<IBrowser> SharedAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_browser is { IsConnected: true }) return _browser;
            _playwright ??= await Playwright.CreateAsync();
            var executable = Environment.GetEnvironmentVariable("CONTACTCENTER_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";
            if (!File.Exists(executable))
            {
                throw new InvalidOperationException($"Chromium not found at {executable}: install Debian's 'chromium' package (.ci/run does) or set CONTACTCENTER_CHROMIUM.");
            }

            _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = executable,
                Headless = true,
                Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
            });
            AppDomain.CurrentDomain.ProcessExit += (_, _) => _browser?.CloseAsync().GetAwaiter().GetResult();
            return _browser;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>A fresh context (own cookies) at 1280×800 with its base URL set to the service.</summary>
    public static async Task<IBrowserContext> NewContextAsync(Uri baseAddress, ViewportSize? viewport = null)
    {
        var browser = await SharedAsync();
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString().TrimEnd('/'),
            ViewportSize = viewport ?? new ViewportSize { Width = 1280, Height = 800 },
        });
        context.SetDefaultTimeout(15_000);
        return context;
    }

    /// <summary>Signs the page in at /login with an API key (as a person would) and waits for the redirect.</summary>
    public static async Task LoginWithKeyAsync(IPage page, string key, string returnUrl)
    {
        await page.GotoAsync("/login?returnUrl=" + Uri.EscapeDataString(returnUrl));
        await page.GetByText("Use an API key instead").ClickAsync();
        await page.GetByLabel("API key").FillAsync(key);
        await SubmitAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Log in" }), returnUrl);
    }

    /// <summary>
    /// Submits the sign-in form and waits for its answer, then for the page it leads to. Waiting for the URL alone
    /// passed at once when the return page is /login itself (the form's own path), and then waited on the document
    /// the submission was replacing.
    /// </summary>
    private static async Task SubmitAsync(IPage page, ILocator button, string returnUrl)
    {
        await page.RunAndWaitForResponseAsync(() => button.ClickAsync(),
            r => r.Request.Method == "POST" && new Uri(r.Url).AbsolutePath == "/login");
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == returnUrl.Split('?')[0]);
        await page.WaitForLoadStateAsync(LoadState.Load);
    }

    /// <summary>Signs the page in at /login with an email and password and waits for the redirect.</summary>
    public static async Task SignInAsync(IPage page, string email, string password, string returnUrl)
    {
        await page.GotoAsync("/login?returnUrl=" + Uri.EscapeDataString(returnUrl));
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await SubmitAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }), returnUrl);
    }

    public static async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

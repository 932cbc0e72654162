using Microsoft.Playwright;

namespace RestaurantOs.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium for the browser tests (never a browser Playwright downloads itself). Outside CI a machine without
/// Chromium skips these tests with the install command; under <c>CI=true</c> a missing browser fails them, because
/// CI installs it and a silent skip there would hide the pages from every run.
/// </summary>
internal static class Chromium
{
    public const string InstallHint = "Install it with 'apt-get install chromium' (Debian) or set CHROMIUM_PATH to its executable.";

    /// <summary>The executable, or a skip (outside CI) / failure (under CI) that says how to get it.</summary>
    public static string RequirePath()
    {
        var path = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium";
        if (File.Exists(path))
        {
            return path;
        }

        var message = $"Chromium not found at '{path}'. {InstallHint}";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(message + " CI must install it (.ci/run does).");
        }

        Assert.Skip(message);
        return path; // not reached: Assert.Skip throws
    }

    /// <summary>Starts headless Chromium with the flags this machine's closed network needs.</summary>
    public static async Task<ChromiumSession> LaunchAsync(CancellationToken cancellationToken)
    {
        var path = RequirePath();
        // Never let Playwright fetch a browser of its own.
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        var playwright = await Playwright.CreateAsync().WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = path,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                Timeout = 30_000,
            }).WaitAsync(TimeSpan.FromSeconds(40), cancellationToken);
            return new ChromiumSession(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }
}

/// <summary>The pages' test bench: one browser per test, with the failure message naming what the page said.</summary>
internal static class ChromiumPages
{
    /// <summary>
    /// Opens a page at <paramref name="width"/>×<paramref name="height"/> and runs <paramref name="test"/> on it. When a
    /// wait times out, the failure carries the browser console and the page's body, so a red run says what was on screen.
    /// </summary>
    public static async Task WithPageAsync(Func<IPage, Task> test, int width = 1280, int height = 720)
    {
        await using var chromium = await Chromium.LaunchAsync(TestContext.Current.CancellationToken);
        var page = await chromium.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        var console = new List<string>();
        page.Console += (_, message) => console.Add($"{message.Type}: {message.Text}");
        page.PageError += (_, error) => console.Add("pageerror: " + error);
        try
        {
            await test(page);
        }
        catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
        {
            Assert.Fail($"{ex.Message}\nBrowser console:\n{string.Join('\n', console)}\nPage:\n{await BodyAsync(page)}");
        }
    }

    private static async Task<string> BodyAsync(IPage page)
    {
        try
        {
            return await page.InnerHTMLAsync("body", new PageInnerHTMLOptions { Timeout = 2_000 });
        }
        catch (PlaywrightException ex)
        {
            return "(unavailable: " + ex.Message + ")";
        }
    }
}

/// <summary>A running browser and the Playwright driver that owns it; disposing closes both.</summary>
internal sealed class ChromiumSession(IPlaywright playwright, IBrowser browser) : IAsyncDisposable
{
    public IBrowser Browser { get; } = browser;

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        playwright.Dispose();
    }
}

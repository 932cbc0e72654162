using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using RestaurantOs.DevHost;

// dotnet run --project tools/RestaurantOs.Screenshots -- [--out docs/screenshots] [--chromium /usr/bin/chromium]
// Starts DevHost with the demo (a lunch rush in two restaurants) on a free port and an empty temporary store, lets
// traffic build up, makes one KDS station drop so the presence page has an alert to show, and photographs each page
// at 1920×1080 (a wall screen), 1024×768 (a tablet) and 390×844 (a phone).
// `dotnet run --project` runs in the project's folder: a relative --out is taken from the repository's root instead.
var repository = RepositoryRoot();
var outDir = Path.GetFullPath(Option("--out") ?? Path.Combine("docs", "screenshots"), repository);
var chromium = Option("--chromium") ?? Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium";
if (!File.Exists(chromium))
{
    Console.Error.WriteLine($"Chromium not found at '{chromium}'. Install it with 'apt-get install chromium' or pass --chromium <path>.");
    return 2;
}

Directory.CreateDirectory(outDir);
var data = Directory.CreateTempSubdirectory("ros-screenshots-").FullName;
const string Restaurant = "0b0e7a51-6c1d-4d0a-9a51-000000000001"; // Harbor Grill, the first demo restaurant
(string Name, string Path)[] pages =
[
    ("index", $"index.html?restaurant_id={Restaurant}"),
    ("kds", $"kds.html?restaurant_id={Restaurant}&station=wall-kds&urgent_after=0.5"),
    ("floor", $"floor.html?restaurant_id={Restaurant}"),
    ("console", $"console.html?restaurant_id={Restaurant}"),
    ("presence", $"presence.html?restaurant_id={Restaurant}"),
    ("metrics", $"metrics.html?restaurant_id={Restaurant}"),
];
(int Width, int Height)[] sizes = [(1920, 1080), (1024, 768), (390, 844)];

var app = DevHostApp.Create(
[
    "--urls", "http://127.0.0.1:0",
    "--demo",
    $"--Storage:Sqlite:Path={Path.Combine(data, "screenshots.db")}",
    "--Presence:Grace=00:00:03",
    "--PresenceSchedule=*/1 * * * * *",
    "--Logging:LogLevel:Default=Warning",
    "--Logging:LogLevel:Microsoft.AspNetCore=Warning",
]);
await app.StartAsync();
try
{
    var baseUri = new Uri(app.Urls.First().TrimEnd('/') + "/");
    using var http = new HttpClient { BaseAddress = baseUri };
    Console.WriteLine($"DevHost at {baseUri}; letting the demo run for 40 s…");
    await Task.Delay(TimeSpan.FromSeconds(25));

    // A pass screen that drops: the presence page shows it gone, with its alert, 3 s later.
    var token = await TokenAsync(http, "expo", "pass-kds-1");
    using (var pass = new ClientWebSocket())
    {
        await pass.ConnectAsync(new Uri(new UriBuilder(baseUri) { Scheme = "ws", Path = "/ws" }.Uri, "?token=" + Uri.EscapeDataString(token)), CancellationToken.None);
        await pass.SendAsync(Encoding.UTF8.GetBytes("""{"type":"ping","applied_seq":0}"""), WebSocketMessageType.Text, true, CancellationToken.None);
        await Task.Delay(500);
        try
        {
            await pass.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "closing time", CancellationToken.None);
        }
        catch (WebSocketException)
        {
            // gone either way: all that matters is that the station dropped
        }
    }

    await Task.Delay(TimeSpan.FromSeconds(15));

    Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
    using var playwright = await Playwright.CreateAsync();
    await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = chromium,
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    // The KDS stays open in its own tab for the whole run, so grill-kds-1 is live on the presence page.
    var kdsTab = await browser.NewPageAsync();
    await kdsTab.GotoAsync(new Uri(baseUri, $"kds.html?restaurant_id={Restaurant}&station=grill-kds-1").ToString());
    foreach (var (width, height) in sizes)
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        foreach (var (name, path) in pages)
        {
            await page.GotoAsync(new Uri(baseUri, path).ToString());
            if (name is not ("index" or "metrics"))
            {
                await page.WaitForSelectorAsync("#connection-state[data-state='open']", new PageWaitForSelectorOptions { Timeout = 15_000 });
            }

            await page.WaitForTimeoutAsync(name == "metrics" ? 5_000 : 2_000);
            var file = Path.Combine(outDir, $"{name}-{width}x{height}.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = file });
            Console.WriteLine($"  {Path.GetRelativePath(repository, file)}");
        }

        await page.CloseAsync();
    }

    return 0;
}
finally
{
    await app.StopAsync();
    await app.DisposeAsync();
    try
    {
        Directory.Delete(data, recursive: true);
    }
    catch (IOException)
    {
        // a temporary folder left behind is harmless
    }
}

static string RepositoryRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "RestaurantOs.Functions.sln")))
        {
            return dir.FullName;
        }
    }

    return Directory.GetCurrentDirectory();
}

static string? Option(string name)
{
    var args = Environment.GetCommandLineArgs();
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static async Task<string> TokenAsync(HttpClient http, string role, string station)
{
    var body = await http.GetStringAsync($"dev/token?restaurant_id={Restaurant}&role={role}&station={station}");
    using var json = JsonDocument.Parse(body);
    return json.RootElement.GetProperty("token").GetString()!;
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RestaurantOs.EndToEnd.Tests.Infrastructure;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Services;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>
/// Hostile text in stored documents, shown by the KDS, floor and console pages in a real headless Chromium: markup
/// (<c>&lt;script&gt;</c>, <c>&lt;img onerror&gt;</c>), a right-to-left override and zero-width characters must appear
/// as text, run no script and create no element. Text the HTTP policy refuses (bidi overrides, markup in table
/// labels) is written straight to the store, as another service could.
/// </summary>
public sealed class TextRenderingBrowserTests(DevHostFixture host) : IClassFixture<DevHostFixture>
{
    private const float WaitMs = 15_000;
    private const string Script = "<script>window.__pwned = 'script'</script>";
    private const string Img = "<img src=x onerror=\"window.__pwned = 'img'\">";
    private const string RightToLeft = "Pasta \u202Eatsap\u202C al dente";
    private const string ZeroWidth = "Zero\u200Bwidth\u200Cjoin\u200Der";

    [Fact]
    public async Task Pages_show_stored_markup_bidi_overrides_and_zero_width_characters_as_text()
    {
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium";
        Assert.SkipWhen(
            !File.Exists(chromium) && Environment.GetEnvironmentVariable("CI") != "true",
            $"Chromium not found at '{chromium}': install it ('apt-get install chromium') or set CHROMIUM_PATH. In CI (CI=true) this fails instead.");
        Assert.True(File.Exists(chromium), $"Chromium not found at '{chromium}' (CI): 'apt-get install chromium'.");
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");

        using var playwright = await Playwright.CreateAsync().WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            Timeout = 30_000,
        }).WaitAsync(TimeSpan.FromSeconds(40), TestContext.Current.CancellationToken);

        var r = Guid.NewGuid();
        var log = new List<string>();
        var kds = await OpenAsync(browser, $"kds.html?restaurant_id={r}&role=kitchen", log);
        var floor = await OpenAsync(browser, $"floor.html?restaurant_id={r}&role=server", log);
        var console = await OpenAsync(browser, $"console.html?restaurant_id={r}&role=manager", log);

        try
        {
            // Through the API (the text policy allows markup and zero-width characters: they are text).
            var manager = await host.TokenAsync(r, "manager");
            var viaApi = Guid.NewGuid();
            await host.CallAsync(HttpMethod.Post, "api/orders", manager, new System.Text.Json.Nodes.JsonObject
            {
                ["id"] = viaApi.ToString(),
                ["notes"] = ZeroWidth + " " + Script,
                ["items"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject
                {
                    ["name"] = Img, ["quantity"] = 1, ["price"] = 100,
                    ["modifiers"] = new System.Text.Json.Nodes.JsonArray(Script), ["special_instructions"] = Img,
                }),
            }, 201);

            // Straight into the store (the API refuses bidi overrides and markup in table labels).
            var viaStore = Guid.NewGuid();
            var table = Guid.NewGuid();
            await WriteToStoreAsync(r, viaStore, table);

            // KDS: both tickets, every text as sent, no element made from it, no script run.
            var apiTicket = kds.Locator($"[data-order-id='{viaApi}']");
            await Assertions.Expect(apiTicket).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = WaitMs });
            Assert.Equal(Img, await TextAsync(apiTicket.Locator(".name")));
            Assert.Equal(Script, await TextAsync(apiTicket.Locator(".mods li")));
            Assert.Equal(Img, await TextAsync(apiTicket.Locator(".instructions")));
            Assert.Equal(ZeroWidth + " " + Script, await TextAsync(apiTicket.Locator(".notes")));
            var storeTicket = kds.Locator($"[data-order-id='{viaStore}']");
            await Assertions.Expect(storeTicket).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = WaitMs });
            Assert.Equal(RightToLeft, await TextAsync(storeTicket.Locator(".name")));
            Assert.Equal(RightToLeft + " " + Img, await TextAsync(storeTicket.Locator(".notes")));
            await AssertNothingInjectedAsync(kds, "main");

            // Floor: the table label as text.
            var tableNode = floor.Locator($"[data-table-id='{table}']");
            await Assertions.Expect(tableNode).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = WaitMs });
            Assert.Equal(Img + RightToLeft, await TextAsync(tableNode.Locator(".label")));
            await AssertNothingInjectedAsync(floor, "main");

            // Console: the raw events, hostile strings included, as text.
            var rows = console.Locator("#log tr");
            await Assertions.Expect(console.Locator("#log")).ToContainTextAsync("table:updated", new LocatorAssertionsToContainTextOptions { Timeout = WaitMs });
            await Assertions.Expect(console.Locator("#log")).ToContainTextAsync(viaStore.ToString(), new LocatorAssertionsToContainTextOptions { Timeout = WaitMs });
            var consoleText = await TextAsync(console.Locator("#log"));
            Assert.Contains("<img src=x onerror=", consoleText, StringComparison.Ordinal);
            Assert.Contains(RightToLeft, consoleText, StringComparison.Ordinal); // JSON.stringify keeps the override as a character
            Assert.True(await rows.CountAsync() > 0);
            await AssertNothingInjectedAsync(console, "#log");

            Assert.DoesNotContain(log, l => l.StartsWith("pageerror", StringComparison.Ordinal));
        }
        catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
        {
            Assert.Fail($"{ex.Message}\nBrowser log:\n{string.Join('\n', log)}");
        }
    }

    private async Task<IPage> OpenAsync(IBrowser browser, string path, List<string> log)
    {
        // Tall enough that the KDS shows every ticket of the test (a full column shows "+N more" instead).
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 2000 } });
        page.Console += (_, message) => log.Add($"{path} {message.Type}: {message.Text}");
        page.PageError += (_, error) => log.Add($"pageerror {path}: {error}");
        page.Dialog += (_, dialog) => log.Add($"pageerror {path}: a dialog opened: {dialog.Message}");
        await page.GotoAsync(new Uri(host.BaseUri, path).ToString(), new PageGotoOptions { Timeout = WaitMs });
        await page.WaitForSelectorAsync("#connection-state[data-state='open']", new PageWaitForSelectorOptions { Timeout = WaitMs });
        return page;
    }

    private async Task WriteToStoreAsync(Guid restaurantId, Guid orderId, Guid tableId)
    {
        var services = host.Services;
        var now = DateTimeOffset.UtcNow;
        var cancellationToken = TestContext.Current.CancellationToken;
        var written = await services.GetRequiredService<IOrderStore>().CreateAsync(new Order
        {
            Id = orderId,
            RestaurantId = restaurantId,
            OrderNumber = "<b>9</b>",
            Items = [new OrderItem { Id = "1", Name = RightToLeft, Quantity = 1, Price = 100, Modifiers = [Img] }],
            Notes = RightToLeft + " " + Img,
            CustomerName = Script,
            CreatedAt = now,
            UpdatedAt = now,
            Version = 1,
        }, cancellationToken);
        Assert.Equal(WriteStatus.Ok, written.Status);
        var table = await services.GetRequiredService<ITableStore>().UpsertAsync(new Table
        {
            Id = tableId,
            RestaurantId = restaurantId,
            Label = Img + RightToLeft,
            Seats = 4,
            Status = TableStatus.Occupied,
            X = 10,
            Y = 10,
            Width = 80,
            Height = 80,
            UpdatedAt = now,
            Version = 1,
        }, null, cancellationToken);
        Assert.Equal(WriteStatus.Ok, table.Status);
        services.GetRequiredService<IChangeNotifier>().NotifyChanged();
    }

    private static Task<string> TextAsync(ILocator locator) =>
        locator.First.EvaluateAsync<string>("node => node.textContent");

    /// <summary>No element made from data (no img, script, b) under <paramref name="root"/>, and no script ran.</summary>
    private static async Task AssertNothingInjectedAsync(IPage page, string root)
    {
        Assert.Equal(0, await page.Locator($"{root} img, {root} script, {root} b").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.__pwned === undefined"), "a script from stored text ran");
    }
}

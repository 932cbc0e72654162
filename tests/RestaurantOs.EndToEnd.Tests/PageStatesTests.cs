using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RestaurantOs.EndToEnd.Tests.Infrastructure;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>
/// Every DevHost page in headless Chromium, in its three states: live (fed by the server), offline (the connection or
/// the poll is lost: the page is dimmed and says since when) and error (a wrong query, a refused role: the page says
/// why instead of spinning). The KDS's live and offline states are in <see cref="KdsKitchenTests"/>, the console's live
/// state in <see cref="ConsolePageTests"/>.
/// </summary>
public sealed partial class PageStatesTests(QuickPresenceHostFixture host) : IClassFixture<QuickPresenceHostFixture>
{
    private const float WaitMs = 15_000;

    private string Url(string page) => new Uri(host.BaseUri, page).ToString();

    private static async Task OpenAsync(IPage page) =>
        await page.WaitForSelectorAsync("#connection-state[data-state='open']", new PageWaitForSelectorOptions { Timeout = WaitMs });

    private static async Task GoOfflineAndBackAsync(IPage page)
    {
        await page.EvaluateAsync("() => window.realtimeClient.close()");
        await Assertions.Expect(page.Locator("#offline")).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = WaitMs });
        await Assertions.Expect(page.Locator("#offline")).ToContainTextAsync("OFFLINE — last update");
        await Assertions.Expect(page.Locator("body")).ToHaveClassAsync(StaleClass());
        await page.EvaluateAsync("() => window.realtimeClient.connect()");
        await OpenAsync(page);
        await Assertions.Expect(page.Locator("#offline")).ToBeHiddenAsync(new LocatorAssertionsToBeHiddenOptions { Timeout = WaitMs });
    }

    [GeneratedRegex(@"\bstale\b")]
    private static partial Regex StaleClass();

    [Theory]
    [InlineData("kds.html")]
    [InlineData("floor.html")]
    [InlineData("console.html")]
    [InlineData("presence.html")]
    public async Task A_page_with_a_bad_restaurant_id_says_so_and_does_not_connect(string page) =>
        await ChromiumPages.WithPageAsync(async p =>
        {
            await p.GotoAsync(Url($"{page}?restaurant_id=not-a-restaurant"), new PageGotoOptions { Timeout = WaitMs });
            await Assertions.Expect(p.Locator("#banner")).ToContainTextAsync("restaurant_id 'not-a-restaurant' is not a UUID", new LocatorAssertionsToContainTextOptions { Timeout = WaitMs });
            await Assertions.Expect(p.Locator("#connection-state")).ToHaveTextAsync("not connected");
        });

    [Fact]
    public async Task The_floor_plan_is_live_a_server_changes_a_table_from_it_and_it_shows_offline_and_a_refused_role() =>
        await ChromiumPages.WithPageAsync(async page =>
        {
            var r = Guid.NewGuid();
            var manager = await host.TokenAsync(r, "manager");
            var tableId = Guid.NewGuid();
            await host.CallAsync(HttpMethod.Put, $"api/tables/{tableId}", manager, Bodies.Table("T4", "occupied"), 200);

            await page.GotoAsync(Url($"floor.html?restaurant_id={r}&role=server"), new PageGotoOptions { Timeout = WaitMs });
            await OpenAsync(page);
            var table = page.Locator($"[data-table-id='{tableId}']");
            await Assertions.Expect(table).ToHaveAttributeAsync("data-status", "occupied", new LocatorAssertionsToHaveAttributeOptions { Timeout = WaitMs });

            // A server sets the table to cleaning from the plan: PUT with the version it saw, and the change comes back live.
            await table.ClickAsync();
            await page.Locator("#dialog-statuses button[data-status='cleaning']").ClickAsync();
            await Assertions.Expect(table).ToHaveAttributeAsync("data-status", "cleaning", new LocatorAssertionsToHaveAttributeOptions { Timeout = WaitMs });
            var stored = await host.CallAsync(HttpMethod.Get, "api/tables", manager, null, 200);
            Assert.Equal("cleaning", stored.EnumerateArray().Single(t => t.GetProperty("id").GetGuid() == tableId).GetProperty("status").GetString());

            // A change made elsewhere arrives while the page is open.
            await host.CallAsync(HttpMethod.Put, $"api/tables/{tableId}", manager, Bodies.Table("T4", "available", expectedVersion: 2), 200);
            await Assertions.Expect(table).ToHaveAttributeAsync("data-status", "available", new LocatorAssertionsToHaveAttributeOptions { Timeout = WaitMs });

            await GoOfflineAndBackAsync(page);

            // The kitchen may not read the floor plan: the page says so.
            await page.GotoAsync(Url($"floor.html?restaurant_id={r}&role=kitchen"), new PageGotoOptions { Timeout = WaitMs });
            await Assertions.Expect(page.Locator("#banner")).ToContainTextAsync("Could not load the floor plan", new LocatorAssertionsToContainTextOptions { Timeout = WaitMs });
            await Assertions.Expect(page.Locator("#banner")).ToContainTextAsync("FORBIDDEN");
        }, 1024, 768);

    [Fact]
    public async Task The_presence_panel_shows_a_station_drop_as_an_alert_until_it_is_back_and_shows_offline_and_a_refused_role() =>
        await ChromiumPages.WithPageAsync(async page =>
        {
            var r = Guid.NewGuid();
            var manager = await host.TokenAsync(r, "manager");
            await host.CreateOrderAsync(manager, Guid.NewGuid(), "T1"); // trading
            await page.GotoAsync(Url($"presence.html?restaurant_id={r}"), new PageGotoOptions { Timeout = WaitMs });
            await OpenAsync(page);

            var kdsToken = await host.StationTokenAsync(r, "kitchen", "grill-kds-1");
            var row = page.Locator("tr[data-key='s.grill-kds-1']");
            var kds = await host.ConnectAsync(kdsToken, "kds");
            await Assertions.Expect(row).ToHaveAttributeAsync("data-status", "live", new LocatorAssertionsToHaveAttributeOptions { Timeout = WaitMs });
            await kds.CloseAsync();
            await kds.DisposeAsync();
            await Assertions.Expect(row).ToHaveAttributeAsync("data-status", "gone", new LocatorAssertionsToHaveAttributeOptions { Timeout = WaitMs });
            var alert = page.Locator(".station-alert[data-key='s.grill-kds-1']");
            await Assertions.Expect(alert).ToContainTextAsync("STATION DOWN", new LocatorAssertionsToContainTextOptions { Timeout = WaitMs });

            await using (var back = await host.ConnectAsync(kdsToken, "kds-back"))
            {
                await Assertions.Expect(alert).ToHaveCountAsync(0, new LocatorAssertionsToHaveCountOptions { Timeout = WaitMs });
                await Assertions.Expect(row).ToHaveAttributeAsync("data-status", "live", new LocatorAssertionsToHaveAttributeOptions { Timeout = WaitMs });
            }

            await GoOfflineAndBackAsync(page);

            await page.GotoAsync(Url($"presence.html?restaurant_id={r}&role=kitchen"), new PageGotoOptions { Timeout = WaitMs });
            await Assertions.Expect(page.Locator("#banner")).ToContainTextAsync("Could not load station presence", new LocatorAssertionsToContainTextOptions { Timeout = WaitMs });
            await Assertions.Expect(page.Locator("#banner")).ToContainTextAsync("FORBIDDEN");
        }, 1920, 1080);

    [Fact]
    public async Task The_console_shows_offline_and_a_customer_follows_the_newest_order_without_choosing_it() =>
        await ChromiumPages.WithPageAsync(async page =>
        {
            var r = Guid.NewGuid();
            var manager = await host.TokenAsync(r, "manager");
            var order = Guid.NewGuid();
            var created = await host.CreateOrderAsync(manager, order, "T2");

            await page.GotoAsync(Url($"console.html?restaurant_id={r}&role=customer"), new PageGotoOptions { Timeout = WaitMs });
            await OpenAsync(page);
            await Assertions.Expect(page.Locator("#banner")).ToBeHiddenAsync();
            await host.ChangeStatusAsync(manager, order, "confirmed");
            await Assertions.Expect(page.Locator("tr[data-type='order:status'] summary").First)
                .ToContainTextAsync($"order #{created.GetProperty("order_number").GetString()} pending → confirmed", new LocatorAssertionsToContainTextOptions { Timeout = WaitMs });

            await GoOfflineAndBackAsync(page);

            // A customer in a restaurant with no order to follow is told so, instead of reconnecting forever.
            await page.GotoAsync(Url($"console.html?restaurant_id={Guid.NewGuid()}&role=customer"), new PageGotoOptions { Timeout = WaitMs });
            await Assertions.Expect(page.Locator("#banner")).ToContainTextAsync("no active order for a customer to follow", new LocatorAssertionsToContainTextOptions { Timeout = WaitMs });
        }, 1024, 768);

    [Fact]
    public async Task The_kds_fits_a_full_board_on_the_screen_with_more_counts_and_a_phone_never_scrolls_sideways() =>
        await ChromiumPages.WithPageAsync(async page =>
        {
            var r = Guid.NewGuid();
            var manager = await host.TokenAsync(r, "manager");
            for (var i = 0; i < 14; i++)
            {
                await host.CreateOrderAsync(manager, Guid.NewGuid(), $"T{i + 1}", item: "Ramen");
            }

            await page.GotoAsync(Url($"kds.html?restaurant_id={r}"), new PageGotoOptions { Timeout = WaitMs });
            await OpenAsync(page);
            var more = page.Locator("[data-column='incoming'] .more");
            await Assertions.Expect(more).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = WaitMs });
            var hidden = int.Parse(await more.GetAttributeAsync("data-hidden") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
            var shown = await page.Locator("[data-column='incoming'] .ticket:visible").CountAsync();
            Assert.Equal(14, hidden + shown);
            Assert.True(hidden > 0 && shown > 0, $"{shown} shown, {hidden} hidden");
            Assert.True(await page.EvaluateAsync<bool>("() => document.scrollingElement.scrollHeight <= window.innerHeight + 1"), "the wall board scrolls");

            await page.SetViewportSizeAsync(390, 844);
            await page.ReloadAsync(new PageReloadOptions { Timeout = WaitMs });
            await OpenAsync(page);
            await Assertions.Expect(page.Locator("[data-column='incoming'] .ticket")).ToHaveCountAsync(14, new LocatorAssertionsToHaveCountOptions { Timeout = WaitMs });
            Assert.True(await page.EvaluateAsync<bool>("() => document.scrollingElement.scrollWidth <= window.innerWidth"), "the phone scrolls sideways");
        }, 1024, 768);

    [Fact]
    public async Task The_metrics_page_names_what_it_shows_and_shows_offline_when_polls_fail() =>
        await ChromiumPages.WithPageAsync(async page =>
        {
            await using var screen = await host.ConnectAsync(await host.TokenAsync(Guid.NewGuid(), "manager"), "screen");
            await page.GotoAsync(Url("metrics.html"), new PageGotoOptions { Timeout = WaitMs });
            await Assertions.Expect(page.Locator("#poll-state")).ToHaveTextAsync("ok", new LocatorAssertionsToHaveTextOptions { Timeout = WaitMs });
            await Assertions.Expect(page.Locator("#generated-at")).ToHaveTextAsync(new Regex(@"^updated \d{1,2}:\d{2}:\d{2}"));
            await Assertions.Expect(page.Locator("#t-conns th").First).ToContainTextAsync("restaurant ", new LocatorAssertionsToContainTextOptions { Timeout = WaitMs });
            await Assertions.Expect(page.Locator("[data-caption-for='spark-mps']")).ToContainTextAsync("peak", new LocatorAssertionsToContainTextOptions { Timeout = WaitMs });

            // The metrics endpoint stops answering: the numbers on screen are dimmed and their age shown.
            await page.RouteAsync("**/dev/metrics", route => route.FulfillAsync(new RouteFulfillOptions { Status = 503, Body = "down" }));
            await Assertions.Expect(page.Locator("#offline")).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = WaitMs });
            await Assertions.Expect(page.Locator("#banner")).ToContainTextAsync("HTTP 503");
            await page.UnrouteAsync("**/dev/metrics");
            await Assertions.Expect(page.Locator("#offline")).ToBeHiddenAsync(new LocatorAssertionsToBeHiddenOptions { Timeout = WaitMs });
        });

    [Fact]
    public async Task The_index_says_when_it_cannot_list_restaurants_and_explains_the_customer_role() =>
        await ChromiumPages.WithPageAsync(async page =>
        {
            await page.RouteAsync("**/dev/restaurants", route => route.FulfillAsync(new RouteFulfillOptions { Status = 500, Body = "{}" }));
            await page.GotoAsync(Url("index.html"), new PageGotoOptions { Timeout = WaitMs });
            await Assertions.Expect(page.Locator("#banner")).ToContainTextAsync("Could not load the restaurants", new LocatorAssertionsToContainTextOptions { Timeout = WaitMs });

            await page.UnrouteAsync("**/dev/restaurants");
            await page.ReloadAsync();
            await Assertions.Expect(page.Locator("#restaurant option").First).ToContainTextAsync("Harbor Grill", new LocatorAssertionsToContainTextOptions { Timeout = WaitMs });
            await Assertions.Expect(page.Locator("#banner")).ToBeHiddenAsync();
            await page.SelectOptionAsync("#role", "customer");
            await Assertions.Expect(page.Locator("#role-note")).ToContainTextAsync("follows one order");
            await page.FillAsync("#station", "grill-kds-1");
            await Assertions.Expect(page.Locator("a[data-page='kds.html']")).ToHaveAttributeAsync("href", new Regex("station=grill-kds-1"));
            await Assertions.Expect(page.Locator("a[data-page='presence.html']")).ToHaveAttributeAsync("href", new Regex("role=customer"));
        }, 390, 844);
}

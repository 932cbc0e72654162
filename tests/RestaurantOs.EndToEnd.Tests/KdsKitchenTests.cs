using Microsoft.Playwright;
using RestaurantOs.EndToEnd.Tests.Infrastructure;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>
/// The KDS as a kitchen uses it, in headless Chromium: kitchen notifications (an allergy alert among them) appear as
/// banners until acknowledged, allergy notes mark the ticket, and a lost connection dims the whole board with the time
/// since the last update and refuses taps until the board is live again.
/// </summary>
public sealed class KdsKitchenTests(DevHostFixture host) : IClassFixture<DevHostFixture>
{
    private const float WaitMs = 15_000;

    [Fact]
    public async Task A_kitchen_notification_is_a_banner_until_acknowledged_and_an_allergy_note_marks_the_ticket() =>
        await ChromiumPages.WithPageAsync(async page =>
        {
            var r = Guid.NewGuid();
            var manager = await host.TokenAsync(r, "manager");
            await page.GotoAsync(new Uri(host.BaseUri, $"kds.html?restaurant_id={r}&role=kitchen").ToString(), new PageGotoOptions { Timeout = WaitMs });
            await page.WaitForSelectorAsync("#connection-state[data-state='open']", new PageWaitForSelectorOptions { Timeout = WaitMs });

            await host.CallAsync(HttpMethod.Post, "api/notifications", manager, Bodies.Notification("kitchen", "Severe peanut allergy on table 7", table: "T7"), 201);
            var alert = page.Locator(".alerts .alert.allergy");
            await Assertions.Expect(alert).ToContainTextAsync("Severe peanut allergy", new LocatorAssertionsToContainTextOptions { Timeout = WaitMs });
            await Assertions.Expect(alert).ToContainTextAsync("ALLERGY");

            var order = Guid.NewGuid();
            var created = await host.CreateOrderAsync(manager, order, "T7", item: "Satay");
            await host.PatchNotesAsync(manager, order, created.GetProperty("version").GetInt32(), "Guest has a nut allergy");
            var ticket = page.Locator($"[data-order-id='{order}']");
            await Assertions.Expect(ticket).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\ballergy\b"), new LocatorAssertionsToHaveClassOptions { Timeout = WaitMs });

            // A note without an allergy word (minutes contains "nut") leaves a ticket unmarked.
            var plain = Guid.NewGuid();
            var other = await host.CreateOrderAsync(manager, plain, "T8", item: "Soup");
            await host.PatchNotesAsync(manager, plain, other.GetProperty("version").GetInt32(), "Fire in 5 minutes");
            await Assertions.Expect(page.Locator($"[data-order-id='{plain}'] .notes")).ToHaveTextAsync("Fire in 5 minutes", new LocatorAssertionsToHaveTextOptions { Timeout = WaitMs });
            await Assertions.Expect(page.Locator($"[data-order-id='{plain}']")).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\ballergy\b"));

            await alert.Locator("button.ack").ClickAsync();
            await Assertions.Expect(page.Locator(".alerts .alert")).ToHaveCountAsync(0, new LocatorAssertionsToHaveCountOptions { Timeout = WaitMs });
        }, 1920, 1080);

    [Fact]
    public async Task A_lost_connection_dims_the_board_with_the_time_since_the_last_update_and_refuses_taps_until_it_is_back() =>
        await ChromiumPages.WithPageAsync(async page =>
        {
            var r = Guid.NewGuid();
            var manager = await host.TokenAsync(r, "manager");
            await page.GotoAsync(new Uri(host.BaseUri, $"kds.html?restaurant_id={r}&role=kitchen").ToString(), new PageGotoOptions { Timeout = WaitMs });
            await page.WaitForSelectorAsync("#connection-state[data-state='open']", new PageWaitForSelectorOptions { Timeout = WaitMs });
            var order = Guid.NewGuid();
            await host.CreateOrderAsync(manager, order, "T3", item: "Ramen");
            var button = page.Locator($"[data-order-id='{order}'] button").First;
            await Assertions.Expect(button).ToBeEnabledAsync(new LocatorAssertionsToBeEnabledOptions { Timeout = WaitMs });
            await Assertions.Expect(page.Locator("#offline")).ToBeHiddenAsync();

            // The connection goes away (as when the tablet loses the network): the page must show it unmistakably.
            await page.EvaluateAsync("() => window.realtimeClient.close()");
            await Assertions.Expect(page.Locator("#offline")).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = WaitMs });
            await Assertions.Expect(page.Locator("#offline")).ToContainTextAsync("OFFLINE — last update");
            await Assertions.Expect(page.Locator("body")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bstale\b"));
            await Assertions.Expect(button).ToBeDisabledAsync(new LocatorAssertionsToBeDisabledOptions { Timeout = WaitMs });
            // The age keeps counting while offline.
            await Assertions.Expect(page.Locator("#last-update")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^[1-9]\d* s ago$"), new LocatorAssertionsToHaveTextOptions { Timeout = WaitMs });

            // Back without a reload: live again, taps accepted.
            await page.EvaluateAsync("() => window.realtimeClient.connect()");
            await page.WaitForSelectorAsync("#connection-state[data-state='open']", new PageWaitForSelectorOptions { Timeout = WaitMs });
            await Assertions.Expect(page.Locator("#offline")).ToBeHiddenAsync(new LocatorAssertionsToBeHiddenOptions { Timeout = WaitMs });
            await Assertions.Expect(button).ToBeEnabledAsync(new LocatorAssertionsToBeEnabledOptions { Timeout = WaitMs });
        }, 1920, 1080);
}

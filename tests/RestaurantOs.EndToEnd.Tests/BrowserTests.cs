using Microsoft.Playwright;
using RestaurantOs.EndToEnd.Tests.Infrastructure;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>
/// The KDS page in a real headless Chromium (Debian's package, never a downloaded browser): tickets appear and move
/// between columns as orders change through the API.
/// </summary>
public sealed class BrowserTests(DevHostFixture host) : IClassFixture<DevHostFixture>
{
    private const float WaitMs = 15_000;

    [Fact]
    public async Task Kds_page_shows_a_new_order_and_moves_it_when_its_status_changes() =>
        await ChromiumPages.WithPageAsync(async page =>
        {
            var r = Guid.NewGuid();
            var manager = await host.TokenAsync(r, "manager");
            await page.GotoAsync(new Uri(host.BaseUri, $"kds.html?restaurant_id={r}&role=kitchen").ToString(), new PageGotoOptions { Timeout = WaitMs });
            await page.WaitForSelectorAsync("#connection-state[data-state='open']", new PageWaitForSelectorOptions { Timeout = WaitMs });

            var id = Guid.NewGuid();
            await host.CreateOrderAsync(manager, id, "T8", item: "Ramen");
            var ticket = page.Locator($"[data-order-id='{id}']");
            await Assertions.Expect(ticket).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = WaitMs });
            await Assertions.Expect(ticket).ToHaveAttributeAsync("data-status", "pending", new LocatorAssertionsToHaveAttributeOptions { Timeout = WaitMs });
            await Assertions.Expect(page.Locator($"[data-column='incoming'] [data-order-id='{id}']")).ToHaveCountAsync(1, new LocatorAssertionsToHaveCountOptions { Timeout = WaitMs });
            await Assertions.Expect(ticket).ToContainTextAsync("Ramen", new LocatorAssertionsToContainTextOptions { Timeout = WaitMs });

            await host.ChangeStatusAsync(manager, id, "confirmed");
            await host.ChangeStatusAsync(manager, id, "preparing");
            await Assertions.Expect(ticket).ToHaveAttributeAsync("data-status", "preparing", new LocatorAssertionsToHaveAttributeOptions { Timeout = WaitMs });
            await Assertions.Expect(page.Locator($"[data-column='preparing'] [data-order-id='{id}']")).ToHaveCountAsync(1, new LocatorAssertionsToHaveCountOptions { Timeout = WaitMs });
            await Assertions.Expect(page.Locator($"[data-column='incoming'] [data-order-id='{id}']")).ToHaveCountAsync(0, new LocatorAssertionsToHaveCountOptions { Timeout = WaitMs });

            await host.ChangeStatusAsync(manager, id, "ready");
            await Assertions.Expect(page.Locator($"[data-column='ready'] [data-order-id='{id}']")).ToHaveCountAsync(1, new LocatorAssertionsToHaveCountOptions { Timeout = WaitMs });

            // A completed order leaves the board.
            await host.ChangeStatusAsync(manager, id, "completed");
            await Assertions.Expect(ticket).ToHaveCountAsync(0, new LocatorAssertionsToHaveCountOptions { Timeout = WaitMs });
        });
}

using Microsoft.Playwright;
using RestaurantOs.EndToEnd.Tests.Infrastructure;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>The event console in headless Chromium: the last seq is the one just applied, and status rows name the order by its number.</summary>
public sealed class ConsolePageTests(DevHostFixture host) : IClassFixture<DevHostFixture>
{
    private const float WaitMs = 15_000;

    [Fact]
    public async Task Last_seq_keeps_up_with_every_event_and_status_rows_show_the_order_number() =>
        await ChromiumPages.WithPageAsync(async page =>
        {
            var r = Guid.NewGuid();
            var manager = await host.TokenAsync(r, "manager");
            await page.GotoAsync(new Uri(host.BaseUri, $"console.html?restaurant_id={r}&role=manager").ToString(), new PageGotoOptions { Timeout = WaitMs });
            await page.WaitForSelectorAsync("#connection-state[data-state='open']", new PageWaitForSelectorOptions { Timeout = WaitMs });

            var id = Guid.NewGuid();
            var created = await host.CreateOrderAsync(manager, id, "T5", item: "Pho");
            var number = created.GetProperty("order_number").GetString();
            await Assertions.Expect(page.Locator($"tr[data-type='order:created'] summary").First).ToContainTextAsync($"order #{number}", new LocatorAssertionsToContainTextOptions { Timeout = WaitMs });

            await host.ChangeStatusAsync(manager, id, "confirmed");
            await Assertions.Expect(page.Locator("tr[data-type='order:status'] summary").First).ToContainTextAsync($"order #{number} pending → confirmed", new LocatorAssertionsToContainTextOptions { Timeout = WaitMs });
            // Once the last event of the change has arrived, the console shows its seq (it used to show the one before).
            await Assertions.Expect(page.Locator("tr[data-type='notification:kitchen']")).Not.ToHaveCountAsync(0, new LocatorAssertionsToHaveCountOptions { Timeout = WaitMs });
            string shown = "", latest = "";
            var deadline = DateTime.UtcNow.AddMilliseconds(WaitMs);
            do
            {
                latest = (await host.CallAsync(HttpMethod.Get, "api/events?since=0", manager, null, 200)).GetProperty("data").GetProperty("latest_seq").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
                shown = await page.Locator("#last-seq").InnerTextAsync();
                if (shown == latest)
                {
                    break;
                }

                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
            while (DateTime.UtcNow < deadline);

            Assert.Equal(latest, shown);

            // Presence rows say who joined, in words.
            await using var station = await host.ConnectAsync(await host.StationTokenAsync(r, "kitchen", "grill-kds-9"), "kds");
            await Assertions.Expect(page.Locator("tr[data-type='presence:updated'] summary").First)
                .ToContainTextAsync("grill-kds-9 (kitchen) joined → live", new LocatorAssertionsToContainTextOptions { Timeout = WaitMs });
        });
}

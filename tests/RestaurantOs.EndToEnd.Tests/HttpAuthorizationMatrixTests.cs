using System.Text.Json;
using System.Text.Json.Nodes;
using RestaurantOs.EndToEnd.Tests.Infrastructure;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>
/// Every cell of the HTTP role × operation table in docs/api.md, checked through DevHost's real HTTP stack. The
/// expectation is the documented table, parsed from the markdown (not the code's table): "✓" must succeed, "–"
/// must be 403 <c>FORBIDDEN</c> and change nothing, "own orders" must succeed for the customer's own order and not
/// reveal anyone else's.
/// </summary>
public sealed class HttpAuthorizationMatrixTests(DevHostFixture host) : IClassFixture<DevHostFixture>
{
    private static readonly string[] Roles = ["owner", "manager", "service", "server", "cashier", "kitchen", "expo", "customer"];

    private static readonly string[] Operations =
    [
        "read-orders", "write-orders", "change-status", "take-payment", "read-tables", "write-tables",
        "send-kitchen-notification", "send-customer-notification", "send-refund-notification", "read-events", "read-presence",
    ];

    private static readonly string[] Cells = ["✓", "–", "own orders"];

    [Fact]
    public void The_documented_table_has_every_role_and_operation()
    {
        var table = DocumentedTable();
        Assert.Equal(Operations.Order(StringComparer.Ordinal), table.Keys.Order(StringComparer.Ordinal));
        Assert.All(table.Values, row => Assert.Equal(Roles.Order(StringComparer.Ordinal), row.Keys.Order(StringComparer.Ordinal)));
        Assert.All(table.Values.SelectMany(row => row.Values), cell => Assert.Contains(cell, Cells));
    }

    [Fact]
    public async Task Every_cell_of_the_documented_table_holds_over_http()
    {
        var table = DocumentedTable();
        var r = Guid.NewGuid();
        var manager = await host.TokenAsync(r, "manager");
        var failures = new List<string>();
        var checkedCells = 0;
        foreach (var (operation, row) in table)
        {
            foreach (var (role, cell) in row)
            {
                checkedCells++;
                var problem = await CheckCellAsync(r, manager, operation, role, cell);
                if (problem is not null)
                {
                    failures.Add($"{operation} × {role} (documented '{cell}'): {problem}");
                }
            }
        }

        Assert.Equal(Operations.Length * Roles.Length, checkedCells);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>Null when the cell holds; otherwise what happened.</summary>
    private async Task<string?> CheckCellAsync(Guid r, string manager, string operation, string role, string cell)
    {
        // A fresh order per cell, so each write starts from a known state; the customer's token names it.
        var order = Guid.NewGuid();
        await host.CreateOrderAsync(manager, order, "T3");
        var token = role == "customer" ? await host.TokenAsync(r, role, "guest-" + order.ToString("N")[..8], order) : await host.TokenAsync(r, role);
        var (method, path, body, success) = Request(operation, order);
        using var response = await host.SendAsync(method, path, token, body);
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync();

        if (cell == "–")
        {
            if (status != 403 || !text.Contains("\"FORBIDDEN\"", StringComparison.Ordinal))
            {
                return $"expected 403 FORBIDDEN, got {status}: {text}";
            }

            return await UnchangedAsync(manager, order, operation);
        }

        if (status != success)
        {
            return $"expected {success}, got {status}: {text}";
        }

        if (cell == "own orders")
        {
            // The same request for an order the token does not name reveals nothing.
            var other = Guid.NewGuid();
            await host.CreateOrderAsync(manager, other, "T4");
            if (operation == "read-orders")
            {
                using var foreign = await host.SendAsync(HttpMethod.Get, $"api/orders/{other}", token);
                if ((int)foreign.StatusCode != 404)
                {
                    return $"another order answered {(int)foreign.StatusCode}, expected 404";
                }

                var list = await host.CallAsync(HttpMethod.Get, "api/orders", token, null, 200);
                var ids = list.EnumerateArray().Select(o => o.GetProperty("id").GetGuid()).ToList();
                return ids.SequenceEqual([order]) ? null : $"the list holds {string.Join(", ", ids)}, expected only {order}";
            }

            // Wait (bounded) until the other order's event is in the history, so its absence below means something.
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (!(await host.CallAsync(HttpMethod.Get, "api/events?since=0", manager, null, 200)).ToString().Contains(other.ToString(), StringComparison.Ordinal))
            {
                if (DateTime.UtcNow > deadline)
                {
                    return "the other order's event never reached the history";
                }

                await Task.Delay(50, TestContext.Current.CancellationToken);
            }

            var events = await host.CallAsync(HttpMethod.Get, "api/events?since=0", token, null, 200);
            return events.ToString().Contains(other.ToString(), StringComparison.Ordinal) ? "catch-up returned another order's events" : null;
        }

        return null;
    }

    /// <summary>After a refused write, nothing it would have written exists.</summary>
    private async Task<string?> UnchangedAsync(string manager, Guid order, string operation)
    {
        var current = await host.CallAsync(HttpMethod.Get, $"api/orders/{order}", manager, null, 200);
        if (current.GetProperty("version").GetInt32() != 1)
        {
            return $"the order changed to version {current.GetProperty("version").GetInt32()}";
        }

        var tables = await host.CallAsync(HttpMethod.Get, "api/tables", manager, null, 200);
        if (operation == "write-tables" && tables.EnumerateArray().Any(t => t.GetProperty("id").GetGuid() == TableId(order)))
        {
            return "the table was written";
        }

        if (operation == "write-orders")
        {
            using var created = await host.SendAsync(HttpMethod.Get, $"api/orders/{CreatedOrderId(order)}", manager);
            if ((int)created.StatusCode != 404)
            {
                return "the order was created";
            }
        }

        return null;
    }

    private static (HttpMethod Method, string Path, JsonNode? Body, int Success) Request(string operation, Guid order) => operation switch
    {
        "read-orders" => (HttpMethod.Get, $"api/orders/{order}", null, 200),
        "write-orders" => (HttpMethod.Post, "api/orders", Bodies.Order(CreatedOrderId(order)), 201),
        "change-status" => (HttpMethod.Post, $"api/orders/{order}/status", Bodies.Status("confirmed", 1), 200),
        "take-payment" => (HttpMethod.Post, $"api/orders/{order}/payments", new JsonObject { ["amount"] = 500, ["payment_method"] = "cash" }, 201),
        "read-tables" => (HttpMethod.Get, "api/tables", null, 200),
        "write-tables" => (HttpMethod.Put, $"api/tables/{TableId(order)}", Bodies.Table("T9", "occupied"), 200),
        "send-kitchen-notification" => (HttpMethod.Post, "api/notifications", Bodies.Notification("kitchen", "86 the salmon", table: "T3"), 201),
        "send-customer-notification" => (HttpMethod.Post, "api/notifications", Bodies.Notification("customer", "Your order is ready", order), 201),
        "send-refund-notification" => (HttpMethod.Post, "api/notifications", Bodies.Notification("refund", "Refund issued", order), 201),
        "read-events" => (HttpMethod.Get, "api/events?since=0", null, 200),
        "read-presence" => (HttpMethod.Get, "api/presence", null, 200),
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "An operation the test does not know: add it here."),
    };

    // Ids derived from the cell's order, so a refused write can be looked for afterwards.
    private static Guid CreatedOrderId(Guid order) => new(order.ToByteArray().Select(b => (byte)(b ^ 0x5A)).ToArray());

    private static Guid TableId(Guid order) => new(order.ToByteArray().Select(b => (byte)(b ^ 0xA5)).ToArray());

    /// <summary>docs/api.md's "Who may call what" table: operation → role → cell.</summary>
    private static Dictionary<string, Dictionary<string, string>> DocumentedTable()
    {
        var lines = File.ReadAllLines(RepoFiles.Docs("api.md"));
        var header = Array.FindIndex(lines, l => l.StartsWith("| Operation | Request |", StringComparison.Ordinal));
        Assert.True(header >= 0, "docs/api.md has no '| Operation | Request |' table");
        var columns = Split(lines[header]);
        var table = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(header + 2).TakeWhile(l => l.StartsWith('|')))
        {
            var cells = Split(line);
            var operation = cells[0].Trim('`');
            table[operation] = columns.Skip(2).Zip(cells.Skip(2)).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
        }

        return table;
    }

    private static string[] Split(string line) => [.. line.Trim().Trim('|').Split('|').Select(c => c.Trim())];
}

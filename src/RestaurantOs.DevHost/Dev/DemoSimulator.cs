using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Orders;
using RestaurantOs.Realtime.Services;

namespace RestaurantOs.DevHost.Dev;

/// <summary>
/// <c>--demo</c>: seeds two restaurants' floor plans and runs a lunch rush through the same services the HTTP API
/// calls — orders move through their lifecycle, get paid, tables turn over, the kitchen gets notes — so every page
/// has live traffic. Random but bounded: at most <see cref="MaxActivePerRestaurant"/> open orders each. It moves only
/// the orders it created (their order numbers start with <see cref="OrderNumberPrefix"/>), so orders a person enters by
/// hand stay where that person leaves them.
/// </summary>
internal sealed partial class DemoSimulator(
    OrderService orders,
    TableService tables,
    NotificationService notifications,
    TimeProvider time,
    ILogger<DemoSimulator> logger) : BackgroundService
{
    public const int MaxActivePerRestaurant = 12;

    /// <summary>The order-number prefix of the demo's own orders (numbers the API assigns are digits only).</summary>
    public const string OrderNumberPrefix = "D-";

    /// <summary>Notes of the demo's slow tickets: they stay in preparing past the KDS's 15-minute urgency.</summary>
    public const string SlowNote = "Slow cook: braised short rib";

    private static readonly TimeSpan SlowFor = TimeSpan.FromMinutes(17);

    private static bool IsDemo(Order order) => order.OrderNumber.StartsWith(OrderNumberPrefix, StringComparison.Ordinal);
    private static readonly (string Name, long Price, string[] Modifiers)[] Menu =
    [
        ("Fish tacos", 1450, ["no cilantro", "extra lime"]),
        ("Clam chowder", 895, ["bread bowl"]),
        ("Burger", 1600, ["medium rare", "no onion", "add bacon"]),
        ("Caesar salad", 1100, ["dressing on the side"]),
        ("Ramen", 1500, ["extra egg", "spicy"]),
        ("Gyoza", 750, []),
        ("Lemonade", 450, ["no ice"]),
    ];

    private readonly Random _random = new(42);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            foreach (var restaurant in DemoRestaurants.All)
            {
                await SeedTablesAsync(Staff(restaurant.Id), stoppingToken).ConfigureAwait(false);
            }

            Log.Started(logger, DemoRestaurants.All.Count);
            while (!stoppingToken.IsCancellationRequested)
            {
                foreach (var restaurant in DemoRestaurants.All)
                {
                    await StepAsync(Staff(restaurant.Id), stoppingToken).ConfigureAwait(false);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(1500), time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static ConnectionIdentity Staff(Guid restaurantId) => new("demo-simulator", restaurantId, Role.Service, []);

    private async Task SeedTablesAsync(ConnectionIdentity staff, CancellationToken cancellationToken)
    {
        var existing = await tables.ListAsync(staff, cancellationToken).ConfigureAwait(false);
        if (existing.Value is { Count: > 0 })
        {
            return;
        }

        for (var i = 0; i < 8; i++)
        {
            var request = new PutTableRequest
            {
                Label = $"T{i + 1}",
                Seats = i % 3 == 0 ? 6 : 4,
                Status = TableStatus.Available,
                X = 40 + (i % 4) * 160,
                Y = 40 + (i / 4) * 160,
                Width = 110,
                Height = 110,
                Rotation = 0,
            };
            await tables.PutAsync(staff, DeterministicId(staff.RestaurantId, i), request, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task StepAsync(ConnectionIdentity staff, CancellationToken cancellationToken)
    {
        var active = (await orders.ListActiveAsync(staff, cancellationToken).ConfigureAwait(false)).Where(IsDemo).ToList();
        if (active.Count < MaxActivePerRestaurant && _random.NextDouble() < 0.6)
        {
            await CreateOrderAsync(staff, cancellationToken).ConfigureAwait(false);
        }

        // A slow ticket waits in preparing until it is urgent on the KDS, then moves on like the others.
        var now = time.GetUtcNow();
        var movable = active.Where(o => !(o.Notes == SlowNote && o.Status == OrderStatus.Preparing && now - o.CreatedAt < SlowFor)).ToList();
        if (movable.Count > 0)
        {
            await AdvanceAsync(staff, movable[_random.Next(movable.Count)], cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task CreateOrderAsync(ConnectionIdentity staff, CancellationToken cancellationToken)
    {
        var floor = (await tables.ListAsync(staff, cancellationToken).ConfigureAwait(false)).Value ?? [];
        var free = floor.Where(t => t.Status == TableStatus.Available).ToList();
        var table = free.Count > 0 ? free[_random.Next(free.Count)] : null;
        var items = Enumerable.Range(0, _random.Next(1, 4)).Select(i =>
        {
            var (name, price, modifiers) = Menu[_random.Next(Menu.Length)];
            return new OrderItemRequest
            {
                Name = name,
                Price = price,
                Quantity = _random.Next(1, 3),
                Modifiers = modifiers.Length > 0 && _random.NextDouble() < 0.4 ? [modifiers[_random.Next(modifiers.Length)]] : [],
                // Now and then an allergy, which the KDS marks on the ticket.
                SpecialInstructions = _random.NextDouble() < 0.08 ? "Shellfish allergy: keep separate" : null,
            };
        }).ToList();

        var created = await orders.CreateAsync(staff, new CreateOrderRequest
        {
            OrderNumber = OrderNumberPrefix + _random.Next(100, 1000).ToString(System.Globalization.CultureInfo.InvariantCulture),
            Items = items,
            Type = table is null ? OrderType.Takeout : OrderType.DineIn,
            TableNumber = table?.Label,
            Tax = items.Sum(i => i.Price * i.Quantity) / 10,
            CustomerName = table is null ? "Walk-in" : null,
            Notes = _random.NextDouble() < 0.1 ? SlowNote : null,
        }, cancellationToken).ConfigureAwait(false);

        if (table is not null && created.Value is { } order)
        {
            await SetTableAsync(staff, table, TableStatus.Occupied, order.Id, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task AdvanceAsync(ConnectionIdentity staff, Order order, CancellationToken cancellationToken)
    {
        var next = order.Status switch
        {
            OrderStatus.New => OrderStatus.Pending,
            OrderStatus.Pending => OrderStatus.Confirmed,
            OrderStatus.Confirmed => OrderStatus.Preparing,
            OrderStatus.Preparing => OrderStatus.Ready,
            OrderStatus.Ready => order.TableNumber is null ? OrderStatus.PickedUp : OrderStatus.Served,
            _ => OrderStatus.Completed,
        };

        if (next == OrderStatus.Confirmed && _random.NextDouble() < 0.05)
        {
            next = OrderStatus.Cancelled;
        }

        if (next == OrderStatus.Completed && order.PaymentStatus != PaymentStatus.Paid)
        {
            var method = _random.NextDouble() < 0.7 ? PaymentMethod.Card : PaymentMethod.Cash;
            await orders.AddPaymentAsync(staff, order.Id, new PaymentRequest { Amount = order.Total, PaymentMethod = method }, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (next == OrderStatus.Preparing && _random.NextDouble() < 0.2)
        {
            await notifications.SendAsync(staff, new NotificationRequest
            {
                Kind = NotificationKind.Kitchen,
                OrderId = order.Id,
                TableNumber = order.TableNumber,
                Message = $"Order {order.OrderNumber}: guest has a nut allergy.",
            }, cancellationToken).ConfigureAwait(false);
        }

        if (!OrderLifecycle.CanTransition(order.Status, next))
        {
            return;
        }

        var changed = await orders.ChangeStatusAsync(staff, order.Id, new StatusChangeRequest { Status = next, ExpectedVersion = order.Version }, cancellationToken).ConfigureAwait(false);
        if (changed.Value is { Status: OrderStatus.Completed or OrderStatus.Cancelled, TableNumber: { } label })
        {
            var floor = (await tables.ListAsync(staff, cancellationToken).ConfigureAwait(false)).Value ?? [];
            if (floor.FirstOrDefault(t => t.Label == label) is { } table)
            {
                await SetTableAsync(staff, table, TableStatus.Available, null, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private Task<ServiceResult<Table>> SetTableAsync(ConnectionIdentity staff, Table table, TableStatus status, Guid? orderId, CancellationToken cancellationToken) =>
        tables.PutAsync(staff, table.Id, new PutTableRequest
        {
            Label = table.Label,
            Seats = table.Seats,
            Status = status,
            CurrentOrderId = orderId,
            X = table.X,
            Y = table.Y,
            Width = table.Width,
            Height = table.Height,
            Rotation = table.Rotation,
            ExpectedVersion = table.Version,
        }, cancellationToken);

    private static Guid DeterministicId(Guid restaurantId, int index)
    {
        var bytes = restaurantId.ToByteArray();
        bytes[14] = (byte)(0xA0 + index); // byte 15 differs between the demo restaurants
        return new Guid(bytes);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Demo: lunch rush running in {Restaurants} restaurants.")]
        public static partial void Started(ILogger logger, int restaurants);
    }
}

using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Orders;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Protocol;
using System.Text.Json;

namespace RestaurantOs.Realtime.Services;

/// <summary>
/// Orders and payments as the HTTP API sees them. Every method checks the caller's role and tenant first and
/// changes nothing when it returns an error. Events are not sent here: the change feed turns committed writes
/// into events, so writes by other services produce the same events.
/// </summary>
public sealed class OrderService(
    IOrderStore orders,
    IPaymentStore payments,
    IChangeNotifier changes,
    TimeProvider time)
{
    public async Task<ServiceResult<Order>> CreateAsync(ConnectionIdentity caller, CreateOrderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        if (!HttpAccess.Allows(caller.Role, HttpOperation.WriteOrders))
        {
            return Errors.Forbidden($"The role '{caller.Role}' may not create orders.");
        }

        if (request.RestaurantId is Guid named && named != caller.RestaurantId)
        {
            return Errors.TenantViolation();
        }

        var check = new Validation();
        check.Require(request.Status is null or OrderStatus.New or OrderStatus.Pending, "status", "a new order starts as 'new' or 'pending'.");
        check.Text(request.OrderNumber, "order_number", 32);
        check.Money(request.Tax, "tax");
        check.Money(request.Tip, "tip");
        check.TableNumber(request.TableNumber, "table_number");
        check.Require(request.SeatNumber is null or (>= 1 and <= 100), "seat_number", "must be between 1 and 100.");
        check.Text(request.CustomerName, "customer_name", Validation.MaxName);
        check.Text(request.Notes, "notes", Validation.MaxText);
        var items = ValidateItems(request.Items, check, required: true);
        if (!check.IsValid)
        {
            return check.ToError();
        }

        var now = time.GetUtcNow();
        var id = request.Id ?? Guid.NewGuid();
        var subtotal = items.Sum(i => i.Price * i.Quantity);
        var order = new Order
        {
            Id = id,
            RestaurantId = caller.RestaurantId,
            OrderNumber = request.OrderNumber ?? OrderNumberFrom(id),
            Type = request.Type ?? OrderType.DineIn,
            Status = request.Status ?? OrderStatus.Pending,
            Items = items,
            Subtotal = subtotal,
            Tax = request.Tax,
            Tip = request.Tip,
            Total = subtotal + request.Tax + request.Tip,
            TableNumber = request.TableNumber,
            SeatNumber = request.SeatNumber,
            CustomerName = request.CustomerName,
            Notes = request.Notes,
            CreatedAt = now,
            UpdatedAt = now,
            Version = 1,
            StatusVersion = 1,
        };

        var result = await orders.CreateAsync(order, cancellationToken).ConfigureAwait(false);
        if (result.Status == WriteStatus.Conflict)
        {
            return Errors.Duplicate("An order");
        }

        changes.NotifyChanged();
        return result.Value!;
    }

    public async Task<ServiceResult<Order>> GetAsync(ConnectionIdentity caller, Guid orderId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.Role == Role.Customer && !caller.OrderIds.Contains(orderId))
        {
            return Errors.NotFound("The order"); // a customer cannot learn whether other orders exist
        }

        var order = await orders.GetAsync(caller.RestaurantId, orderId, cancellationToken).ConfigureAwait(false);
        return order is null ? Errors.NotFound("The order") : order;
    }

    public async Task<IReadOnlyList<Order>> ListActiveAsync(ConnectionIdentity caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var active = await orders.ListActiveAsync(caller.RestaurantId, cancellationToken).ConfigureAwait(false);
        return caller.Role == Role.Customer ? [.. active.Where(o => caller.OrderIds.Contains(o.Id))] : active;
    }

    public async Task<ServiceResult<Order>> PatchAsync(ConnectionIdentity caller, Guid orderId, PatchOrderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        if (!HttpAccess.Allows(caller.Role, HttpOperation.WriteOrders))
        {
            return Errors.Forbidden($"The role '{caller.Role}' may not change orders.");
        }

        if (request.RestaurantId is Guid named && named != caller.RestaurantId)
        {
            return Errors.TenantViolation();
        }

        var check = new Validation();
        check.Require(request.ExpectedVersion is >= 1, "expected_version", "is required: the version you last saw.");
        if (request.Tax is long tax)
        {
            check.Money(tax, "tax");
        }

        if (request.Tip is long tip)
        {
            check.Money(tip, "tip");
        }

        check.TableNumber(request.TableNumber, "table_number");
        check.Require(request.SeatNumber is null or (>= 1 and <= 100), "seat_number", "must be between 1 and 100.");
        check.Text(request.CustomerName, "customer_name", Validation.MaxName);
        check.Text(request.Notes, "notes", Validation.MaxText);
        var items = request.Items is null ? null : ValidateItems(request.Items, check, required: true);
        if (!check.IsValid)
        {
            return check.ToError();
        }

        var current = await orders.GetAsync(caller.RestaurantId, orderId, cancellationToken).ConfigureAwait(false);
        if (current is null)
        {
            return Errors.NotFound("The order");
        }

        if (current.Version != request.ExpectedVersion)
        {
            return Errors.VersionConflict(request.ExpectedVersion!.Value, current.Version);
        }

        if (OrderLifecycle.IsFinal(current.Status))
        {
            return new ServiceError(ServiceErrorKind.Conflict, "ORDER_CLOSED", $"The order is {Wire(current.Status)} and can no longer change.");
        }

        var newItems = items ?? current.Items;
        var subtotal = newItems.Sum(i => i.Price * i.Quantity);
        var newTax = request.Tax ?? current.Tax;
        var newTip = request.Tip ?? current.Tip;
        var next = current with
        {
            Items = newItems,
            Subtotal = subtotal,
            Tax = newTax,
            Tip = newTip,
            Total = subtotal + newTax + newTip,
            TableNumber = request.TableNumber ?? current.TableNumber,
            SeatNumber = request.SeatNumber ?? current.SeatNumber,
            CustomerName = request.CustomerName ?? current.CustomerName,
            Notes = request.Notes ?? current.Notes,
            UpdatedAt = time.GetUtcNow(),
            Version = current.Version + 1,
        };

        return await ReplaceAsync(next, current.Version, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ServiceResult<Order>> ChangeStatusAsync(ConnectionIdentity caller, Guid orderId, StatusChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        if (!HttpAccess.Allows(caller.Role, HttpOperation.ChangeStatus))
        {
            return Errors.Forbidden($"The role '{caller.Role}' may not change an order's status.");
        }

        if (request.RestaurantId is Guid named && named != caller.RestaurantId)
        {
            return Errors.TenantViolation();
        }

        if (request.Status is not OrderStatus status)
        {
            return Errors.Validation("status", "is required.");
        }

        if (request.ExpectedVersion is < 1)
        {
            return Errors.Validation("expected_version", "must be 1 or more.");
        }

        var current = await orders.GetAsync(caller.RestaurantId, orderId, cancellationToken).ConfigureAwait(false);
        if (current is null)
        {
            return Errors.NotFound("The order");
        }

        if (request.ExpectedVersion is int expected && expected != current.Version)
        {
            return Errors.VersionConflict(expected, current.Version);
        }

        if (!OrderLifecycle.CanTransition(current.Status, status))
        {
            return Errors.IllegalTransition(Wire(current.Status), Wire(status));
        }

        var next = OrderLifecycle.ApplyStatus(current, status, time.GetUtcNow());
        return await ReplaceAsync(next, current.Version, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records a payment and marks the order's payment status. The payment document is written first and is
    /// idempotent on its id, so a retried request neither charges twice nor loses the order update.
    /// </summary>
    public async Task<ServiceResult<Payment>> AddPaymentAsync(ConnectionIdentity caller, Guid orderId, PaymentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        if (!HttpAccess.Allows(caller.Role, HttpOperation.TakePayment))
        {
            return Errors.Forbidden($"The role '{caller.Role}' may not take payments.");
        }

        if (request.RestaurantId is Guid named && named != caller.RestaurantId)
        {
            return Errors.TenantViolation();
        }

        var check = new Validation();
        check.Require(request.Amount is > 0 and <= Validation.MaxMoney, "amount", $"must be between 1 and {Validation.MaxMoney} cents.");
        check.Require(request.PaymentMethod is not null, "payment_method", "is required: cash, card, house_account, gift_card or other.");
        if (!check.IsValid)
        {
            return check.ToError();
        }

        var order = await orders.GetAsync(caller.RestaurantId, orderId, cancellationToken).ConfigureAwait(false);
        if (order is null)
        {
            return Errors.NotFound("The order");
        }

        if (order.Status == OrderStatus.Cancelled)
        {
            return new ServiceError(ServiceErrorKind.Conflict, "ORDER_CLOSED", "The order is cancelled and cannot take a payment.");
        }

        var payment = new Payment
        {
            Id = request.Id ?? Guid.NewGuid(),
            RestaurantId = caller.RestaurantId,
            OrderId = orderId,
            Amount = request.Amount,
            PaymentMethod = request.PaymentMethod!.Value,
            PaymentStatus = request.PaymentStatus ?? PaymentStatus.Paid,
            CreatedAt = time.GetUtcNow(),
        };

        var written = await payments.CreateAsync(payment, cancellationToken).ConfigureAwait(false);
        if (written.Status == WriteStatus.Conflict)
        {
            return Errors.Duplicate("A payment");
        }

        changes.NotifyChanged();
        await MarkPaymentStatusAsync(caller.RestaurantId, orderId, payment.PaymentStatus, cancellationToken).ConfigureAwait(false);
        return written.Value!;
    }

    private async Task MarkPaymentStatusAsync(Guid restaurantId, Guid orderId, PaymentStatus status, CancellationToken cancellationToken)
    {
        // Another writer may change the order between our read and write: re-read and retry a few times.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var current = await orders.GetAsync(restaurantId, orderId, cancellationToken).ConfigureAwait(false);
            if (current is null || current.PaymentStatus == status)
            {
                return;
            }

            var next = current with { PaymentStatus = status, UpdatedAt = time.GetUtcNow(), Version = current.Version + 1 };
            var result = await orders.ReplaceAsync(next, current.Version, cancellationToken).ConfigureAwait(false);
            if (result.Status == WriteStatus.Ok)
            {
                changes.NotifyChanged();
                return;
            }
        }
    }

    private async Task<ServiceResult<Order>> ReplaceAsync(Order next, int expectedVersion, CancellationToken cancellationToken)
    {
        var result = await orders.ReplaceAsync(next, expectedVersion, cancellationToken).ConfigureAwait(false);
        switch (result.Status)
        {
            case WriteStatus.Ok:
                changes.NotifyChanged();
                return result.Value!;
            case WriteStatus.NotFound:
                return Errors.NotFound("The order");
            default:
                return Errors.VersionConflict(expectedVersion, result.Value?.Version);
        }
    }

    private static List<OrderItem> ValidateItems(IReadOnlyList<OrderItemRequest>? items, Validation check, bool required)
    {
        var result = new List<OrderItem>();
        if (items is null || items.Count == 0)
        {
            check.Require(!required, "items", "must contain at least one item.");
            return result;
        }

        if (items.Count > Validation.MaxItems)
        {
            check.Add("items", $"must contain at most {Validation.MaxItems} items.");
            return result;
        }

        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var prefix = $"items[{i}]";
            if (item is null)
            {
                check.Add(prefix, "must be an object.");
                continue;
            }

            check.Text(item.Name, prefix + ".name", Validation.MaxName, required: true);
            check.Text(item.Id, prefix + ".id", 64);
            check.Text(item.MenuItemId, prefix + ".menu_item_id", 64);
            check.Text(item.SpecialInstructions, prefix + ".special_instructions", Validation.MaxText);
            check.Require(item.Quantity is >= 1 and <= 999, prefix + ".quantity", "must be between 1 and 999.");
            check.Money(item.Price, prefix + ".price");
            var modifiers = item.Modifiers ?? [];
            check.Require(modifiers.Count <= 20, prefix + ".modifiers", "must have at most 20 entries.");
            check.Require(modifiers.All(m => m is not null && m.Length is > 0 and <= Validation.MaxName), prefix + ".modifiers", $"entries must be 1-{Validation.MaxName} characters.");
            result.Add(new OrderItem
            {
                Id = item.Id ?? (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                MenuItemId = item.MenuItemId,
                Name = item.Name ?? string.Empty,
                Quantity = item.Quantity,
                Price = item.Price,
                Modifiers = [.. modifiers],
                SpecialInstructions = item.SpecialInstructions,
            });
        }

        return result;
    }

    private static string OrderNumberFrom(Guid id) =>
        (BitConverter.ToUInt32(id.ToByteArray(), 0) % 10000).ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The wire name of a status ("picked-up"), from the same source-generated converter the events use.</summary>
    internal static string Wire(OrderStatus status) =>
        JsonSerializer.Serialize(status, RealtimeJsonContext.Default.OrderStatus).Trim('"');
}

/// <summary>Told after every committed write, so the change-feed pump can run at once instead of at its next tick.</summary>
public interface IChangeNotifier
{
    void NotifyChanged();
}

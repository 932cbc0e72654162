using System.Globalization;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Orders;
using RestaurantOs.Realtime.Ports;

namespace RestaurantOs.Realtime.Services;

/// <summary>
/// Orders and payments as the HTTP API sees them. Every method checks the caller (<see cref="CallerGuard"/>) and the
/// fields (<see cref="OrderRequestValidator"/>) first and changes nothing when it returns an error. Events are not
/// sent here: the change feed turns committed writes into events, so writes by other services produce the same events.
/// </summary>
public sealed class OrderService(
    IOrderStore orders,
    IPaymentStore payments,
    IChangeNotifier changes,
    TimeProvider time)
{
    private readonly PaymentService _payments = new(orders, payments, changes, time);

    public async Task<ServiceResult<Order>> CreateAsync(ConnectionIdentity caller, CreateOrderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (CallerGuard.Check(caller, HttpOperation.WriteOrders, request.RestaurantId, "create orders") is { } refused)
        {
            return refused;
        }

        var items = OrderRequestValidator.Create(request);
        if (items.Error is { } invalid)
        {
            return invalid;
        }

        var now = time.GetUtcNow();
        var id = request.Id ?? Guid.NewGuid();
        var order = OrderPricing.Priced(new Order
        {
            Id = id,
            RestaurantId = caller.RestaurantId,
            OrderNumber = request.OrderNumber ?? OrderNumberFrom(id),
            Type = request.Type ?? OrderType.DineIn,
            Status = request.Status ?? OrderStatus.Pending,
            Items = items.Value!,
            Tax = request.Tax,
            Tip = request.Tip,
            TableNumber = request.TableNumber,
            SeatNumber = request.SeatNumber,
            CustomerName = request.CustomerName,
            Notes = request.Notes,
            CreatedAt = now,
            UpdatedAt = now,
            Version = 1,
            StatusVersion = 1,
        });

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
        if (CallerGuard.Check(caller, HttpOperation.ReadOrders, null, "read orders") is { } refused)
        {
            return refused;
        }

        if (RolePermissions.IsOrderScoped(caller.Role) && !caller.OrderIds.Contains(orderId))
        {
            return Errors.NotFound("The order"); // a customer cannot learn whether other orders exist
        }

        var order = await orders.GetAsync(caller.RestaurantId, orderId, cancellationToken).ConfigureAwait(false);
        return order is null ? Errors.NotFound("The order") : order;
    }

    /// <summary>The restaurant's active orders; a customer gets only the orders in its token.</summary>
    public async Task<IReadOnlyList<Order>> ListActiveAsync(ConnectionIdentity caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!HttpAccess.Allows(caller.Role, HttpOperation.ReadOrders))
        {
            return [];
        }

        var active = await orders.ListActiveAsync(caller.RestaurantId, cancellationToken).ConfigureAwait(false);
        return RolePermissions.IsOrderScoped(caller.Role) ? [.. active.Where(o => caller.OrderIds.Contains(o.Id))] : active;
    }

    public async Task<ServiceResult<Order>> PatchAsync(ConnectionIdentity caller, Guid orderId, PatchOrderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (CallerGuard.Check(caller, HttpOperation.WriteOrders, request.RestaurantId, "change orders") is { } refused)
        {
            return refused;
        }

        var (items, invalid) = OrderRequestValidator.Patch(request);
        if (invalid is not null)
        {
            return invalid;
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
            return Errors.OrderClosed($"The order is {Wire(current.Status)} and can no longer change.");
        }

        var next = OrderPricing.Priced(current with
        {
            Items = items ?? current.Items,
            Tax = request.Tax ?? current.Tax,
            Tip = request.Tip ?? current.Tip,
            TableNumber = request.TableNumber ?? current.TableNumber,
            SeatNumber = request.SeatNumber ?? current.SeatNumber,
            CustomerName = request.CustomerName ?? current.CustomerName,
            Notes = request.Notes ?? current.Notes,
            UpdatedAt = time.GetUtcNow(),
            Version = current.Version + 1,
        });

        return await ReplaceAsync(next, current.Version, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ServiceResult<Order>> ChangeStatusAsync(ConnectionIdentity caller, Guid orderId, StatusChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (CallerGuard.Check(caller, HttpOperation.ChangeStatus, request.RestaurantId, "change an order's status") is { } refused)
        {
            return refused;
        }

        if (OrderRequestValidator.Status(request) is { } invalid)
        {
            return invalid;
        }

        var status = request.Status!.Value;
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

    /// <inheritdoc cref="PaymentService.AddAsync"/>
    public Task<ServiceResult<Payment>> AddPaymentAsync(ConnectionIdentity caller, Guid orderId, PaymentRequest request, CancellationToken cancellationToken) =>
        _payments.AddAsync(caller, orderId, request, cancellationToken);

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

    private static string OrderNumberFrom(Guid id) =>
        (BitConverter.ToUInt32(id.ToByteArray(), 0) % 10000).ToString("D4", CultureInfo.InvariantCulture);

    /// <summary>The wire name of a status ("picked-up"), from the converter the events use.</summary>
    internal static string Wire(OrderStatus status) => WireNames.Name(status);
}

/// <summary>Told after every committed write, so the change-feed pump can run at once instead of at its next tick.</summary>
public interface IChangeNotifier
{
    void NotifyChanged();
}

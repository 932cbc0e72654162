using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Ports;

namespace RestaurantOs.Realtime.Services;

/// <summary>The floor plan's tables. Writes become <c>table:updated</c> through the change feed.</summary>
public sealed class TableService(ITableStore tables, IChangeNotifier changes, TimeProvider time)
{
    public async Task<ServiceResult<IReadOnlyList<Table>>> ListAsync(ConnectionIdentity caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!HttpAccess.Allows(caller.Role, HttpOperation.ReadTables))
        {
            return Errors.Forbidden($"The role '{caller.Role}' may not read the floor plan.");
        }

        var list = await tables.ListAsync(caller.RestaurantId, cancellationToken).ConfigureAwait(false);
        return new ServiceResult<IReadOnlyList<Table>>(list, null);
    }

    public async Task<ServiceResult<Table>> PutAsync(ConnectionIdentity caller, Guid tableId, PutTableRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        if (!HttpAccess.Allows(caller.Role, HttpOperation.WriteTables))
        {
            return Errors.Forbidden($"The role '{caller.Role}' may not change tables.");
        }

        if (request.RestaurantId is Guid named && named != caller.RestaurantId)
        {
            return Errors.TenantViolation();
        }

        var check = new Validation();
        check.Text(request.Label, "label", 32, required: true);
        check.TableNumber(request.Label, "label");
        check.Require(request.Seats is >= 0 and <= 100, "seats", "must be between 0 and 100.");
        check.Require(request.Status is not null, "status", "is required: available, occupied, reserved, unavailable, cleaning or paid.");
        check.Require(request.ExpectedVersion is null or >= 1, "expected_version", "must be 1 or more.");
        foreach (var (value, field) in new[] { (request.X, "x"), (request.Y, "y"), (request.Width, "width"), (request.Height, "height"), (request.Rotation, "rotation") })
        {
            check.Require(double.IsFinite(value) && Math.Abs(value) <= 100_000, field, "must be a finite number within ±100000.");
        }

        if (!check.IsValid)
        {
            return check.ToError();
        }

        var now = time.GetUtcNow();
        var current = await tables.GetAsync(caller.RestaurantId, tableId, cancellationToken).ConfigureAwait(false);
        if (request.ExpectedVersion is int expected && (current is null || current.Version != expected))
        {
            return current is null ? Errors.NotFound("The table") : Errors.VersionConflict(expected, current.Version);
        }

        if (request.ExpectedVersion is null && current is not null)
        {
            return Errors.VersionConflict(0, current.Version);
        }

        var table = new Table
        {
            Id = tableId,
            RestaurantId = caller.RestaurantId,
            Label = request.Label!,
            Seats = request.Seats,
            Status = request.Status!.Value,
            CurrentOrderId = request.CurrentOrderId,
            X = request.X,
            Y = request.Y,
            Width = request.Width,
            Height = request.Height,
            Rotation = request.Rotation,
            UpdatedAt = now,
            Version = (current?.Version ?? 0) + 1,
        };

        var result = await tables.UpsertAsync(table, request.ExpectedVersion, cancellationToken).ConfigureAwait(false);
        switch (result.Status)
        {
            case WriteStatus.Ok:
                changes.NotifyChanged();
                return result.Value!;
            case WriteStatus.NotFound:
                return Errors.NotFound("The table");
            default:
                return Errors.VersionConflict(request.ExpectedVersion ?? 0, result.Value?.Version);
        }
    }
}

/// <summary>Explicit notifications (kitchen, customer, refund); automatic ones come from order status changes.</summary>
public sealed class NotificationService(INotificationStore notifications, IChangeNotifier changes, TimeProvider time)
{
    public async Task<ServiceResult<Notification>> SendAsync(ConnectionIdentity caller, NotificationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        if (!HttpAccess.Allows(caller.Role, HttpOperation.SendNotification))
        {
            return Errors.Forbidden($"The role '{caller.Role}' may not send notifications.");
        }

        if (request.RestaurantId is Guid named && named != caller.RestaurantId)
        {
            return Errors.TenantViolation();
        }

        var check = new Validation();
        check.Require(request.Kind is not null, "kind", "is required: kitchen, customer or refund.");
        check.Text(request.Message, "message", Validation.MaxText, required: true);
        check.TableNumber(request.TableNumber, "table_number");
        check.Require(request.Kind is not (NotificationKind.Customer or NotificationKind.Refund) || request.OrderId is not null,
            "order_id", "is required for customer and refund notifications.");
        if (!check.IsValid)
        {
            return check.ToError();
        }

        var notification = new Notification
        {
            Id = Guid.NewGuid(),
            RestaurantId = caller.RestaurantId,
            Kind = request.Kind!.Value,
            OrderId = request.OrderId,
            TableNumber = request.TableNumber,
            Message = request.Message!,
            CreatedAt = time.GetUtcNow(),
        };

        var result = await notifications.CreateAsync(notification, cancellationToken).ConfigureAwait(false);
        if (result.Status != WriteStatus.Ok)
        {
            return Errors.Duplicate("A notification");
        }

        changes.NotifyChanged();
        return result.Value!;
    }
}

using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Ports;

namespace RestaurantOs.Realtime.Services;

/// <summary>The floor plan's tables. Writes become <c>table:updated</c> through the change feed.</summary>
public sealed class TableService(ITableStore tables, IChangeNotifier changes, TimeProvider time)
{
    public async Task<ServiceResult<IReadOnlyList<Table>>> ListAsync(ConnectionIdentity caller, CancellationToken cancellationToken)
    {
        if (CallerGuard.Check(caller, HttpOperation.ReadTables, null, "read the floor plan") is { } refused)
        {
            return refused;
        }

        var list = await tables.ListAsync(caller.RestaurantId, cancellationToken).ConfigureAwait(false);
        return new ServiceResult<IReadOnlyList<Table>>(list, null);
    }

    public async Task<ServiceResult<Table>> PutAsync(ConnectionIdentity caller, Guid tableId, PutTableRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (CallerGuard.Check(caller, HttpOperation.WriteTables, request.RestaurantId, "change tables") is { } refused)
        {
            return refused;
        }

        var check = new Validation();
        check.Text(request.Label, "label", 32, required: true);
        check.TableNumber(request.Label, "label");
        check.Require(request.Seats is >= 0 and <= Validation.MaxTableSeats, "seats", $"must be between 0 and {Validation.MaxTableSeats}.");
        check.Require(request.Status is not null, "status", "is required: " + WireNames.AllowedMessage<TableStatus>());
        check.Require(request.ExpectedVersion is null or >= 1, "expected_version", "must be 1 or more.");
        foreach (var (value, field) in new[] { (request.X, "x"), (request.Y, "y"), (request.Width, "width"), (request.Height, "height"), (request.Rotation, "rotation") })
        {
            check.Require(double.IsFinite(value) && Math.Abs(value) <= Validation.MaxCoordinate, field, $"must be a finite number within ±{Validation.MaxCoordinate}.");
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
        if (request.Kind is not NotificationKind kind)
        {
            return Errors.Validation("kind", "is required: " + WireNames.AllowedMessage<NotificationKind>());
        }

        var what = $"send {WireNames.Name(kind)} notifications";
        if (CallerGuard.Check(caller, HttpAccess.SendNotification(kind), request.RestaurantId, what) is { } refused)
        {
            return refused;
        }

        var check = new Validation();
        check.Text(request.Message, "message", Validation.MaxText, required: true, multiLine: true);
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
            Kind = kind,
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

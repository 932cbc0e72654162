using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Ports;

namespace RestaurantOs.Realtime.Services;

/// <summary>Payments of an order: the payment document, then the order's payment status.</summary>
internal sealed class PaymentService(IOrderStore orders, IPaymentStore payments, IChangeNotifier changes, TimeProvider time)
{
    /// <summary>How often marking the order is retried when another writer changed it in between.</summary>
    private const int MarkAttempts = 5;

    /// <summary>
    /// Records a payment and marks the order's payment status. The payment document is written first and is
    /// idempotent on its id, so a retried request neither charges twice nor loses the order update.
    /// </summary>
    public async Task<ServiceResult<Payment>> AddAsync(ConnectionIdentity caller, Guid orderId, PaymentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (CallerGuard.Check(caller, HttpOperation.TakePayment, request.RestaurantId, "take payments") is { } refused)
        {
            return refused;
        }

        if (OrderRequestValidator.Payment(request) is { } invalid)
        {
            return invalid;
        }

        var order = await orders.GetAsync(caller.RestaurantId, orderId, cancellationToken).ConfigureAwait(false);
        if (order is null)
        {
            return Errors.NotFound("The order");
        }

        if (order.Status == OrderStatus.Cancelled)
        {
            return Errors.OrderClosed("The order is cancelled and cannot take a payment.");
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
        await MarkOrderAsync(caller.RestaurantId, orderId, payment.PaymentStatus, cancellationToken).ConfigureAwait(false);
        return written.Value!;
    }

    private async Task MarkOrderAsync(Guid restaurantId, Guid orderId, PaymentStatus status, CancellationToken cancellationToken)
    {
        // Another writer may change the order between our read and write: re-read and retry a few times.
        for (var attempt = 0; attempt < MarkAttempts; attempt++)
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
}

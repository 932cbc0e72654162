using System.Globalization;
using RestaurantOs.Realtime.Contracts;

namespace RestaurantOs.Realtime.Services;

/// <summary>
/// Field rules of order requests (ranges in docs/api.md). Pure: a request in, field errors or order items out.
/// Enum fields need no check here: the JSON converter admits only their documented names.
/// </summary>
internal static class OrderRequestValidator
{
    public static ServiceResult<List<OrderItem>> Create(CreateOrderRequest request)
    {
        var check = new Validation();
        check.Require(request.Status is null or OrderStatus.New or OrderStatus.Pending, "status", "a new order starts as 'new' or 'pending'.");
        check.Text(request.OrderNumber, "order_number", Validation.MaxOrderNumber);
        check.Money(request.Tax, "tax");
        check.Money(request.Tip, "tip");
        Details(check, request.TableNumber, request.SeatNumber, request.CustomerName, request.Notes);
        var items = Items(request.Items, check);
        return check.IsValid ? items : check.ToError();
    }

    /// <summary>The new items (null when the patch keeps the current ones), or the field errors.</summary>
    public static (List<OrderItem>? Items, ServiceError? Error) Patch(PatchOrderRequest request)
    {
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

        Details(check, request.TableNumber, request.SeatNumber, request.CustomerName, request.Notes);
        var items = request.Items is null ? null : Items(request.Items, check);
        return check.IsValid ? (items, null) : (null, check.ToError());
    }

    public static ServiceError? Status(StatusChangeRequest request)
    {
        if (request.Status is null)
        {
            return Errors.Validation("status", "is required.");
        }

        return request.ExpectedVersion is < 1 ? Errors.Validation("expected_version", "must be 1 or more.") : null;
    }

    public static ServiceError? Payment(PaymentRequest request)
    {
        var check = new Validation();
        check.Require(request.Amount is > 0 and <= Validation.MaxMoney, "amount", $"must be between 1 and {Validation.MaxMoney} cents.");
        check.Require(request.PaymentMethod is not null, "payment_method", "is required: " + WireNames.AllowedMessage<PaymentMethod>());
        return check.IsValid ? null : check.ToError();
    }

    private static void Details(Validation check, string? tableNumber, int? seatNumber, string? customerName, string? notes)
    {
        check.TableNumber(tableNumber, "table_number");
        check.Require(seatNumber is null or (>= 1 and <= Validation.MaxSeatNumber), "seat_number", $"must be between 1 and {Validation.MaxSeatNumber}.");
        check.Text(customerName, "customer_name", Validation.MaxName);
        check.Text(notes, "notes", Validation.MaxText, multiLine: true);
    }

    private static List<OrderItem> Items(IReadOnlyList<OrderItemRequest>? items, Validation check)
    {
        var result = new List<OrderItem>();
        if (items is null || items.Count == 0)
        {
            check.Add("items", "must contain at least one item.");
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
            check.Text(item.Id, prefix + ".id", Validation.MaxItemId);
            check.Text(item.MenuItemId, prefix + ".menu_item_id", Validation.MaxItemId);
            check.Text(item.SpecialInstructions, prefix + ".special_instructions", Validation.MaxText, multiLine: true);
            check.Require(item.Quantity is >= 1 and <= Validation.MaxQuantity, prefix + ".quantity", $"must be between 1 and {Validation.MaxQuantity}.");
            check.Money(item.Price, prefix + ".price");
            var modifiers = item.Modifiers ?? [];
            check.Require(modifiers.Count <= Validation.MaxModifiers, prefix + ".modifiers", $"must have at most {Validation.MaxModifiers} entries.");
            for (var m = 0; m < modifiers.Count && m < Validation.MaxModifiers; m++)
            {
                check.Text(modifiers[m], $"{prefix}.modifiers[{m}]", Validation.MaxName, required: true);
            }

            result.Add(new OrderItem
            {
                Id = item.Id ?? (i + 1).ToString(CultureInfo.InvariantCulture),
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
}

/// <summary>Order money, computed in one place: the subtotal from the items, the total from subtotal, tax and tip.</summary>
internal static class OrderPricing
{
    /// <summary><paramref name="order"/> with <c>subtotal</c> and <c>total</c> recomputed from its items, tax and tip.</summary>
    /// <remarks>Cannot overflow: items, quantities and prices are bounded by <see cref="Validation"/>.</remarks>
    public static Order Priced(Order order)
    {
        var subtotal = order.Items.Sum(i => i.Price * i.Quantity);
        return order with { Subtotal = subtotal, Total = subtotal + order.Tax + order.Tip };
    }
}

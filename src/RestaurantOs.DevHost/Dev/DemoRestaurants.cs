namespace RestaurantOs.DevHost.Dev;

/// <summary>The two restaurants <c>--demo</c> seeds; fixed ids so bookmarks and tests keep working.</summary>
internal static class DemoRestaurants
{
    public static readonly DevRestaurant HarborGrill = new(Guid.Parse("0b0e7a51-6c1d-4d0a-9a51-000000000001"), "Harbor Grill");
    public static readonly DevRestaurant NoodleBar = new(Guid.Parse("0b0e7a51-6c1d-4d0a-9a51-000000000002"), "Noodle Bar");

    public static readonly IReadOnlyList<DevRestaurant> All = [HarborGrill, NoodleBar];
}

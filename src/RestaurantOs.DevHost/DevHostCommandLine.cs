namespace RestaurantOs.DevHost;

/// <summary>
/// DevHost's own switches, taken out of the arguments before ASP.NET Core reads the rest (its command-line provider
/// only understands <c>--key value</c> pairs): <c>--demo</c> runs the lunch-rush simulator, <c>--reset</c> starts from
/// an empty store, and <c>--data DIR</c> chooses where the store and DevHost's generated secrets live.
/// </summary>
internal sealed record DevHostCommandLine(bool Demo, bool Reset, string[] HostArgs, bool Worker = false)
{
    /// <summary>The configuration key <c>--data DIR</c> maps to.</summary>
    public const string DataDirectoryKey = "DevHost:DataDirectory";

    public static DevHostCommandLine Parse(string[] args)
    {
        var demo = false;
        var reset = false;
        var worker = false;
        var rest = new List<string>(args.Length);
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--demo":
                    demo = true;
                    break;
                case "--reset":
                    reset = true;
                    break;
                case "--worker":
                    worker = true;
                    break;
                case "--data":
                    rest.Add("--" + DataDirectoryKey);
                    break;
                default:
                    rest.Add(args[i]);
                    break;
            }
        }

        return new DevHostCommandLine(demo, reset, [.. rest], worker);
    }
}

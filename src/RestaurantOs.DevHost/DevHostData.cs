namespace RestaurantOs.DevHost;

/// <summary>
/// Where DevHost keeps what outlives a run: the SQLite store (and, beside it, anything DevHost generates at first
/// start). By default <c>./.data</c> under the directory DevHost was started from, so a run from the repository root
/// keeps its data there (git ignores it) and never next to the binaries; <c>--data DIR</c> picks another folder and
/// <c>--reset</c> starts from an empty store.
/// </summary>
internal sealed record DevHostData(string Directory, string StorePath, bool WasReset)
{
    public const string StoreFileName = "restaurant-os.db";

    public static DevHostData Prepare(ConfigurationManager configuration, bool reset)
    {
        var directory = Path.GetFullPath(configuration[DevHostCommandLine.DataDirectoryKey] ?? ".data");
        var chosen = configuration["Storage:Sqlite:Path"];
        var store = chosen is null ? Path.Combine(directory, StoreFileName) : Path.GetFullPath(chosen);
        if (chosen is null)
        {
            System.IO.Directory.CreateDirectory(directory);
            configuration.AddInMemoryCollection([new("Storage:Sqlite:Path", store)]);
        }

        if (reset)
        {
            // Only the store's own files: the folder may hold other things the user keeps there.
            foreach (var file in new[] { store, store + "-wal", store + "-shm" })
            {
                File.Delete(file);
            }
        }

        return new DevHostData(directory, store, reset);
    }

    public string Describe() =>
        $"{StorePath}{(WasReset ? "  (reset: started empty)" : "  (kept between runs; --reset starts empty, --data DIR moves it)")}";
}

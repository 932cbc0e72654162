using System.Security.Cryptography;
using System.Text;
using RestaurantOs.WebPubSub.Upstream;

namespace RestaurantOs.DevHost.Dev;

/// <summary>
/// DevHost's secrets model, the same as Azure's: the app holds a connection-state key it never shows anyone. In Azure
/// it is an app setting (or Key Vault reference); here it is generated at the first start and kept in a file readable
/// by the owner only (mode 600) in the data folder, next to the SQLite database, so restarts keep connections valid.
/// </summary>
internal static class DevSecrets
{
    public const string StateKeyFileName = "connection-state.key";

    /// <summary>Reads the key from <paramref name="directory"/>, creating the folder and a new random key when absent.</summary>
    /// <exception cref="InvalidOperationException">The file exists but does not hold a valid key.</exception>
    public static string LoadOrCreateStateKey(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, StateKeyFileName);
        if (!File.Exists(path))
        {
            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
                if (!OperatingSystem.IsWindows())
                {
                    // Created with 600 from the first byte: never readable by others, not even briefly.
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                using var stream = new FileStream(path, options);
                stream.Write(Encoding.ASCII.GetBytes(key));
                return key;
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another DevHost created it first; use theirs.
            }
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var stored = File.ReadAllText(path).Trim();
        if (!ConnectionStateProtectionOptions.TryDecodeKey(stored, out _))
        {
            throw new InvalidOperationException($"{path} does not hold a valid connection-state key (base64 of at least {ConnectionStateProtectionOptions.MinKeyBytes} bytes); delete it to have DevHost generate a new one.");
        }

        return stored;
    }
}

using System.Globalization;
using System.Text;

namespace Occam.Data.Readers;

/// <summary>Reads a numeric CSV table (comma-separated, optional double-quoted cells, invariant-culture
/// numbers) into a <see cref="TensorDataset"/>: the other columns become features [N, F], the label column the
/// targets [N]. Blank lines are skipped.</summary>
public static class Csv
{
    /// <summary>Reads <paramref name="path"/>. <paramref name="labelColumn"/> is a column name, or a zero-based column
    /// number (negative counts from the end: "-1" is the last) when the file has no header row or no column of that
    /// name. Every value must be a finite number (NaN, infinities and values beyond float's range are errors naming the
    /// row and column), and a file with no data rows is an error.</summary>
    public static TensorDataset Read(string path, string labelColumn, bool header = true)
    {
        ArgumentNullException.ThrowIfNull(labelColumn);
        using var reader = new StreamReader(StreamData.OpenFile(path), Encoding.UTF8);
        int line = 0, row = 0, width = -1, label = -1;
        List<string>? names = null;
        var features = new List<float>();
        var labels = new List<float>();
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var cells = Split(text, path, line);
            if (width < 0)
            {
                width = cells.Count;
                names = header ? cells : null;
                label = LabelIndex(labelColumn, names, width, path);
                if (header) continue;
            }
            row++;
            if (cells.Count != width)
                throw new InvalidDataException($"{path}: row {row} (line {line}) has {cells.Count} columns, expected {width}");
            for (int c = 0; c < width; c++)
            {
                if (!float.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out float value))
                    throw new InvalidDataException($"{path}: row {row} (line {line}), column {c + 1}{(names != null ? $" '{names[c]}'" : "")}: '{cells[c]}' is not a number");
                if (!float.IsFinite(value))
                    throw new InvalidDataException($"{path}: row {row} (line {line}), column {c + 1}{(names != null ? $" '{names[c]}'" : "")}: '{cells[c]}' is not a finite float (NaN, infinite, or beyond ±3.4e38)");
                (c == label ? labels : features).Add(value);
            }
        }
        if (width < 0) throw new InvalidDataException($"{path}: the file is empty");
        if (row == 0) throw new InvalidDataException($"{path}: the file has a header but no data rows");
        int n = labels.Count;
        return new TensorDataset(new Tensor(features.ToArray(), [n, width - 1]), new Tensor(labels.ToArray(), [n]));
    }

    static int LabelIndex(string labelColumn, List<string>? names, int width, string path)
    {
        bool isNumber = int.TryParse(labelColumn, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int index);
        if (names != null)
        {
            int found = names.FindIndex(name => name.Trim() == labelColumn);
            if (found >= 0) return found;
            if (!isNumber) throw new ArgumentException($"Csv.Read: {path} has no column named '{labelColumn}' (columns: {string.Join(", ", names)})", nameof(labelColumn));
        }
        if (!isNumber || index >= width || index < -width)
            throw new ArgumentException($"Csv.Read: {path}: the label column must be {(names != null ? "a column name or " : "")}a column number in [{-width}, {width - 1}], got '{labelColumn}'", nameof(labelColumn));
        return index < 0 ? width + index : index;
    }

    /// <summary>Cells of one line; a quoted cell may hold commas and doubled quotes ("").</summary>
    static List<string> Split(string text, string path, int line)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char ch = text[i];
            if (quoted)
            {
                if (ch != '"') cell.Append(ch);
                else if (i + 1 < text.Length && text[i + 1] == '"') { cell.Append('"'); i++; }
                else quoted = false;
            }
            else if (ch == '"') quoted = true;
            else if (ch == ',') { cells.Add(cell.ToString().Trim()); cell.Clear(); }
            else cell.Append(ch);
        }
        if (quoted) throw new InvalidDataException($"{path}: line {line} has an unterminated quoted cell");
        cells.Add(cell.ToString().Trim());
        return cells;
    }
}

// The relative path of each file of an <input type=file>, in the order Blazor lists them: the folder path when the
// browser gives one (a picked or dropped folder), else the file name.
export function relativePaths(input) {
    return Array.from(input.files ?? [], f => f.webkitRelativePath || f.name);
}

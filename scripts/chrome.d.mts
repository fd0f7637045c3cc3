export declare const CHROME_PATH: string;
export declare const CHROME_ARGS: string[];
export declare const MISSING_CHROME: string;
export declare function chromeAvailable(): boolean;

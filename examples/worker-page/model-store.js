// The trained model's bytes in IndexedDB, the browser's own database, so that they outlive a reload.
const open = () =>
  new Promise((resolve, reject) => {
    const request = indexedDB.open('webgpu-mlp-example', 1);
    request.onupgradeneeded = () => request.result.createObjectStore('models'); // the first visit makes the store
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

// Runs one request on the store and resolves with its result once the transaction is written.
async function withStore(mode, act) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const transaction = db.transaction('models', mode);
      const request = act(transaction.objectStore('models'));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
    });
  } finally {
    db.close();
  }
}

export const loadModelBytes = () => withStore('readonly', (store) => store.get('circle'));
export const saveModelBytes = (bytes) => withStore('readwrite', (store) => store.put(bytes, 'circle'));
export const forgetModelBytes = () => withStore('readwrite', (store) => store.delete('circle'));
